import ClinloadPostgres
import Foundation
import Testing

/// The text COPY rows clinical row tables are loaded with (`TextCopyEncoder`):
/// every value the server reads back is the value written, whatever bytes it
/// holds, and NULL stays distinct from the text `\N` and from the empty string.
@Suite("Text COPY format")
struct TextCopyFormatTests {
    static let texts: [String?] = [
        "", "plain", #"back\slash"#, "tab\there", "line\nbreak", "carriage\rreturn", #"\N"#, #"\."#, "\\", "trailing\\",
        "ünïcødé ✓ 患者", "comma,quote\"semi;", " spaced ", nil,
    ]

    @Test func valuesOfEveryShapeComeBackAsWritten() throws {
        try TestStore.withConnection { connection in
            try connection.execute("CREATE TEMP TABLE text_rows (k int, v text, u uuid, n bigint, w text)")
            let uuids = (0..<Self.texts.count).map { _ in UUID() }
            let numbers = [0, -1, 7, Int.max, Int.min, 10, 99, -100, 1_000_000, 42, 5, 3, 2, 1]
            var data: [UInt8] = []
            for (k, text) in Self.texts.enumerated() {
                TextCopyEncoder.appendInteger(k, into: &data)
                if let text { Array(text.utf8).withUnsafeBytes { TextCopyEncoder.appendBytes($0, into: &data) } } else { TextCopyEncoder.appendNull(into: &data) }
                TextCopyEncoder.appendUUID(uuids[k], into: &data)
                TextCopyEncoder.appendInteger(numbers[k], into: &data)
                // A value produced in place, escaped afterwards.
                TextCopyEncoder.appendValue(into: &data) { $0 += Array((text ?? "absent").utf8) }
                TextCopyEncoder.endRow(into: &data)
            }
            try connection.sendCopy("COPY text_rows FROM STDIN", data: data)
            #expect(try connection.collectSent() == [Self.texts.count])

            let rows = try connection.query("SELECT k, v, u::text, n, w FROM text_rows ORDER BY k")
            #expect(rows.rowCount == Self.texts.count)
            for k in 0..<rows.rowCount {
                #expect(rows.int(k, 0) == k)
                #expect(rows.string(k, 1) == Self.texts[k], "row \(k)")
                #expect(rows.isNull(k, 1) == (Self.texts[k] == nil))
                #expect(rows.string(k, 2) == uuids[k].uuidString.lowercased())
                #expect(rows.string(k, 3) == String(numbers[k]))
                #expect(rows.string(k, 4) == (Self.texts[k] ?? "absent"))
            }
        }
    }
}
