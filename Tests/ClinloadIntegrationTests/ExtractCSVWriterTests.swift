@testable import ClinloadEngine
import ClinloadExtract
import Foundation
import Testing

@Suite("Extract CSV writer")
struct ExtractCSVWriterTests {
    @Test func quotesLineBreaksCommasAndQuotesNeutralisesFormulasAndKeepsNumbers() throws {
        let folder = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("csvw-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("t.csv").path
        let writer = try ExtractCSVWriter(path: path, header: ["a", "b", "c"])
        try writer.write(["line\r\nbreak", "say \"hi\", then", nil])
        try writer.write(["=HYPERLINK(\"x\")", "-4.5", "@cmd"])
        let sha = try writer.finish()
        #expect(sha.count == 64 && writer.rows == 2)
        #expect((try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) == 0o600)

        // Read back with clinload's own RFC 4180 reader: three fields per record, values intact.
        let reader = try CSVReader(path: path, header: true)
        var record = CSVRecord()
        var records: [[String]] = []
        while try reader.read(into: &record) { records.append((0..<record.fieldCount).map(record.string)) }
        #expect(records.count == 3)
        #expect(records[1] == ["line\r\nbreak", "say \"hi\", then", ""])
        #expect(records[2] == ["'=HYPERLINK(\"x\")", "-4.5", "'@cmd"])
        // Never overwrites: a second writer on the same path fails.
        #expect(throws: (any Error).self) { _ = try ExtractCSVWriter(path: path, header: ["a"]) }
    }
}
