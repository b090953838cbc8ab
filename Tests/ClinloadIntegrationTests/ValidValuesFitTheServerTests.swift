import ClinloadDefinitions
import ClinloadPostgres
import ClinloadValidate
import Testing

/// A value that passes validation must be one PostgreSQL's input function for
/// its column takes: the server refusing it fails the whole batch (SQLSTATE
/// 22003, 22008, 22P02) where the record alone should have been set aside. Each
/// value is put to the real server.
@Suite("Valid values fit the server's types")
struct ValidValuesFitTheServerTests {
    static func zeros(_ n: Int) -> String { String(repeating: "0", count: n) }
    static let values: [String] = [
        "0", "-0", "+1", "12.50", ".5", "5.", "-.5e-3", "1E+5", "00012.5000", "0.000e5",
        "1e5000", "1e-5000",
        // 131,072 digits before the point is the most a numeric holds.
        "1" + zeros(131_071), "1" + zeros(131_072), "1e131071", "1e131072", "9.99e131071", "0.01e131074", "0.01e131075",
        // 16,383 digits after it, the exponent applied.
        "0." + zeros(16_382) + "1", "0." + zeros(16_383) + "1", "1e-16383", "1e-16384", "0e-16383", "0e-16384",
        "1.5e-16382", "1.5e-16383", "0e999999",
        // Not numbers at all.
        "", "-", ".", "e5", "1e", "1e+", "1.2.3", "0x10", "1,5",
    ]
    /// Refused here though the server would take them: no clinical value is NaN or
    /// infinite, spaces around a value are the feed's error, and a zero with an
    /// exponent of a million is no measurement.
    static let stricter = ["NaN", "Infinity", "-Infinity", " 1", "1 ", "0e1000000"]

    @Test func numbersAgreeWithNumeric() throws {
        try TestStore.withConnection { connection in
            var disagreements: [String] = []
            for value in Self.values {
                let accepted = value.utf8.withContiguousStorageIfAvailable { NumberSyntax.isDecimal($0) }!
                // Sent as a parameter, converted by numeric's own input function.
                let server = (try? connection.query("SELECT $1::text::numeric IS NOT NULL", [.text(value)])) != nil
                if accepted != server { disagreements.append("\(value.prefix(24))… (\(value.count) chars): ours \(accepted), server \(server)") }
            }
            #expect(disagreements.isEmpty, "\(disagreements)")
        }
        for value in Self.stricter {
            #expect(!value.utf8.withContiguousStorageIfAvailable { NumberSyntax.isDecimal($0) }!, "\(value)")
        }
    }

    /// Schema type, the column type such values are copied into, and values at
    /// the edges: whatever the validator takes, the server must take.
    static let typed: [(TableSchema.FieldType, String, [String])] = [
        (.date, "date", ["2024-02-29", "2023-02-29", "0000-01-01", "0001-01-01", "9999-12-31", "2024-13-01", "2024-00-10"]),
        (.datetime, "timestamptz", [
            "2024-01-01T00:00:00Z", "2024-01-01 23:59:60", "2024-12-31T23:59:60Z", "2024-01-01T12:00:00+15:59",
            "2024-01-01T12:00:00+16:00", "2024-01-01T12:00:00-23:59", "0000-01-01T00:00:00Z", "0001-01-01T00:00:00Z",
            "9999-12-31T23:59:59.999999999-14:00", "2024-01-01T00:00:00.123456789Z", "2024-02-30T00:00:00Z",
        ]),
        (.integer, "bigint", ["0", "-0", "+7", "9223372036854775807", "-9223372036854775807", "-9223372036854775808",
                              "9223372036854775808", "007"]),
        (.boolean, "boolean", ["true", "True", "TRUE", "1", "false", "False", "FALSE", "0", "yes", "t"]),
        (.year, "integer", ["0000", "2024", "9999"]),
    ]

    @Test func everyValidValueIsTakenByItsColumnType() throws {
        try TestStore.withConnection { connection in
            var refused: [String] = []
            for (type, sqlType, values) in Self.typed {
                let validator = try FieldValidator(TableSchema.Field(name: "f", type: type), missingValues: [""])
                for value in values {
                    let valid = value.utf8.withContiguousStorageIfAvailable { validator.violation($0) == nil }!
                    guard valid else { continue }
                    if (try? connection.query("SELECT $1::text::\(sqlType) IS NOT NULL", [.text(value)])) == nil {
                        refused.append("\(type) \(value) refused as \(sqlType)")
                    }
                }
            }
            #expect(refused.isEmpty, "\(refused)")
        }
    }
}
