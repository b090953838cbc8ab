import ClinloadCore
@testable import ClinloadExtract
import Foundation
import Testing

/// Reads `text` (as raw bytes) with a small buffer, so records straddle refills.
private func records(_ bytes: [UInt8], bufferSize: Int = 7, maxRecordBytes: Int = 1 << 20) throws -> [CSVRecord] {
    let path = NSTemporaryDirectory() + "/clinload-csv-\(UUID().uuidString).csv"
    _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
    defer { try? FileManager.default.removeItem(atPath: path) }
    let reader = try CSVReader(path: path, bufferSize: bufferSize, maxRecordBytes: maxRecordBytes)
    var out: [CSVRecord] = []
    var record = CSVRecord()
    while try reader.read(into: &record) { out.append(record) }
    return out
}

private func records(_ text: String, bufferSize: Int = 7) throws -> [CSVRecord] {
    try records(Array(text.utf8), bufferSize: bufferSize)
}

private func fields(_ r: CSVRecord) -> [String] { (0..<r.fieldCount).map(r.string) }

@Suite("CSV reader (RFC 4180)")
struct CSVReaderTests {
    @Test func plainFieldsAndLineFeeds() throws {
        let rs = try records("a,b,c\n1,2,3\n")
        #expect(rs.map(fields) == [["a", "b", "c"], ["1", "2", "3"]])
        #expect(rs.map(\.provenance) == [RecordProvenance(ordinal: 1, line: 1), RecordProvenance(ordinal: 2, line: 2)])
        #expect(rs.allSatisfy { $0.problem == nil })
    }

    @Test func quotedCommasDoubledQuotesAndNewlines() throws {
        let rs = try records("id,note\n1,\"a, b\"\n2,\"say \"\"hi\"\"\"\n3,\"two\nlines\"\n4,x\n")
        #expect(rs.map(fields) == [["id", "note"], ["1", "a, b"], ["2", "say \"hi\""], ["3", "two\nlines"], ["4", "x"]])
        // The record after a quoted line break starts on the right physical line.
        #expect(rs[3].provenance.line == 4)
        #expect(rs[4].provenance.line == 6)
    }

    @Test func crlfAndMissingFinalNewline() throws {
        let rs = try records("a,b\r\n1,\"2\"\r\n3,4")
        #expect(rs.map(fields) == [["a", "b"], ["1", "2"], ["3", "4"]])
        #expect(rs.allSatisfy { $0.problem == nil })
    }

    @Test func byteOrderMarkIsSkipped() throws {
        let rs = try records([0xEF, 0xBB, 0xBF] + Array("Id,X\n1,2\n".utf8))
        #expect(fields(rs[0]) == ["Id", "X"])
    }

    @Test func emptyFieldsAndBlankLines() throws {
        let rs = try records("a,,c\n\n,\n\r\n\"\",x\n")
        #expect(rs.map(fields) == [["a", "", "c"], ["", ""], ["", "x"]])
        #expect(rs[1].provenance.line == 3)
        #expect(rs[2].provenance.line == 5)
    }

    @Test func invalidUTF8IsFlaggedWithItsLine() throws {
        let bytes = Array("a,b\n1,ok\n2,".utf8) + [0xC3, 0x28] + Array("\n3,é\n".utf8)
        let rs = try records(bytes)
        #expect(rs[1].problem == nil)
        #expect(rs[2].problem == CSVProblem(rule: .invalid_utf8, fieldIndex: 1, line: 3))
        #expect(rs[3].problem == nil)
        #expect(rs[3].string(1) == "é")
    }

    /// NUL is valid UTF-8 but no PostgreSQL text value can hold it: the record is
    /// flagged (to be quarantined), in an unquoted or a quoted field, not left to
    /// fail the whole batch at the database.
    @Test func aNulByteIsFlaggedWithItsFieldAndLine() throws {
        let bytes = Array("a,b\n1,o".utf8) + [0x00] + Array("k\n2,\"x\ny".utf8) + [0x00] + Array("\"\n3,\u{1}fine\n".utf8)
        let rs = try records(bytes)
        #expect(rs[1].problem == CSVProblem(rule: .nul_byte, fieldIndex: 1, line: 2))
        #expect(rs[2].problem == CSVProblem(rule: .nul_byte, fieldIndex: 1, line: 3))
        #expect(rs[3].problem == nil)
    }

    @Test func overlongAndSurrogateEncodingsAreInvalid() {
        #expect(!UTF8Check.isValid([0xC0, 0xAF]))          // overlong "/"
        #expect(!UTF8Check.isValid([0xED, 0xA0, 0x80]))    // UTF-16 surrogate
        #expect(!UTF8Check.isValid([0xF4, 0x90, 0x80, 0x80])) // past U+10FFFF
        #expect(UTF8Check.isValid(Array("Zoë Müller 🙂".utf8)))
    }

    @Test func strayQuoteAndBareCarriageReturnAreFlagged() throws {
        let rs = try records("a,b\n1,ab\"c\n2,\"x\"y\n3,p\rq\n4,ok\n")
        #expect(rs[1].problem?.rule == .stray_quote)
        #expect(rs[2].problem?.rule == .stray_quote)
        #expect(rs[3].problem?.rule == .bare_carriage_return)
        #expect(rs[4].problem == nil && fields(rs[4]) == ["4", "ok"])
    }

    @Test func unterminatedQuoteAtEndOfFile() throws {
        let rs = try records("a,b\n1,\"open\n")
        #expect(rs.count == 2)
        #expect(rs[1].problem?.rule == .unterminated_quote)
    }

    @Test func oversizedRecordIsFatalWithLine() throws {
        let text = "a\n1\n\"" + String(repeating: "x", count: 200)
        #expect(throws: ClinloadError.self) {
            _ = try records(Array(text.utf8), maxRecordBytes: 100)
        }
    }

    @Test func fieldsLongerThanTheBuffer() throws {
        let long = String(repeating: "abcdefghij", count: 50)
        let rs = try records("x,y\n\(long),\"\(long)\"\n", bufferSize: 16)
        #expect(fields(rs[1]) == [long, long])
    }

    @Test func encodedLineRoundTrips() throws {
        let rs = try records("a,\"b,c\",\"d\"\"e\",\"f\ng\"\n")
        #expect(String(decoding: rs[0].encodedLine(), as: UTF8.self) == "a,\"b,c\",\"d\"\"e\",\"f\ng\"")
    }

    @Test func missingFileIsAnInputError() {
        #expect(throws: ClinloadError.self) { _ = try CSVReader(path: "/nonexistent/clinload.csv") }
    }
}
