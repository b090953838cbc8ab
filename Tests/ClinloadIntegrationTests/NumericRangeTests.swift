import ClinloadPostgres
import ClinloadValidate
import Testing

/// A number that passes validation must be one PostgreSQL's numeric takes: the
/// server refusing it fails the whole batch (SQLSTATE 22003) where the record
/// alone should have been set aside. Each value is put to the real server.
@Suite("Numbers PostgreSQL's numeric can hold")
struct NumericRangeTests {
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

    @Test func validationAgreesWithTheServer() throws {
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
}
