import ClinloadCore
import ClinloadCrypto
import ClinloadEngine
import ClinloadPostgres
import ClinloadStore
import Foundation
import Testing

@Suite("Synthea corpus patients.csv end to end")
struct CorpusPatientsLoadTests {
    @Test func loadsOnceEncryptsEverythingAndLeaksNothing() throws {
        let store = try TestStore()
        defer { store.cleanUp() }
        let path = Repository.syntheaPatients.path
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let rows = FixtureCSV.rows(text)
        #expect(rows.count == 28)

        let first = try store.run(path)
        #expect(first.status == .loaded, "\(String(describing: first.error))")
        #expect(first.counts.recordsRead == 27)
        #expect(first.counts.recordsQuarantined == 0)
        #expect(try store.count("SELECT count(*) FROM identity.patient") == 27)
        #expect(try store.count("SELECT count(*) FROM clinical.patient") == 27)

        // No SSN, name, street address, driver's licence or passport number from the
        // file appears in plaintext in any column of any table.
        let canaries = try FixtureCSV.values(of: ["Id", "SSN", "FIRST", "LAST", "MAIDEN", "ADDRESS", "DRIVERS", "PASSPORT"], inFile: path)
        #expect(canaries.count > 100)
        let connection = try store.connect()
        defer { connection.close() }
        let hits = try PlaintextScan.find(canaries, in: connection)
        #expect(hits.isEmpty, "plaintext found: \(hits.prefix(5))")

        // Clinical rows hold generalised values only.
        let clinical = try connection.query("""
            SELECT c.birth_year, c.zip3, c.sex FROM clinical.patient c JOIN identity.patient i USING (surrogate_id)
            WHERE i.source_ordinal = 1
            """)
        #expect(clinical.int(0, 0) == 2014)
        #expect(clinical.string(0, 1) == "021")
        #expect(clinical.string(0, 2) == "M")

        // The second run loads nothing new.
        let second = try store.run(path)
        #expect(second.status == .alreadyLoaded)
        #expect(second.batchId == first.batchId)
        #expect(try store.count("SELECT count(*) FROM identity.patient") == 27)
        #expect(try store.count("SELECT count(*) FROM etl.batches") == 1)
    }

    @Test func vaultValuesDecryptOnlyInTheirOwnRowAndColumn() throws {
        let store = try TestStore()
        defer { store.cleanUp() }
        let path = Repository.syntheaPatients.path
        let rows = FixtureCSV.rows(try String(contentsOfFile: path, encoding: .utf8))
        #expect(try store.run(path).status == .loaded)

        let connection = try store.connect()
        defer { connection.close() }
        let result = try connection.query("""
            SELECT surrogate_id::text, source_ordinal, ssn, given_name, data_key_id::text FROM identity.patient ORDER BY source_ordinal LIMIT 2
            """)
        let surrogate = UUID(uuidString: result.string(0, 0)!)!
        let otherSurrogate = UUID(uuidString: result.string(1, 0)!)!
        let ordinal = result.int(0, 1)!
        let ssnCipher = result.bytes(0, 2)!
        let keyId = UUID(uuidString: result.string(0, 4)!)!
        #expect(try IdentifierCiphertext.keyId(of: ssnCipher) == keyId)

        let ring = KeyRing(connection: connection, provider: try store.keyProvider())
        let key = try ring.dataKey(id: keyId)
        let opener = try IdentifierOpener(dataKey: key.plaintext, keyId: keyId)
        let ssnColumn = IdentifierColumn(table: "identity.patient", column: "ssn")
        let expected = rows[ordinal][rows[0].firstIndex(of: "SSN")!]
        let decrypted = String(decoding: try opener.open(ssnCipher, column: ssnColumn, surrogate: surrogate), as: UTF8.self)
        #expect(decrypted == expected, "ordinal \(ordinal)")
        // Copied to another row or another column, the same bytes no longer decrypt.
        #expect(throws: CryptoError.self) { _ = try opener.open(ssnCipher, column: ssnColumn, surrogate: otherSurrogate) }
        #expect(throws: CryptoError.self) {
            _ = try opener.open(ssnCipher, column: IdentifierColumn(table: "identity.patient", column: "given_name"), surrogate: surrogate)
        }
    }
}

/// Looks for plaintext values in every column of every table clinload owns:
/// text columns by substring, bytea columns by byte sequence.
enum PlaintextScan {
    /// Digits that are not data: random hex (UUIDs, digests), clock times (the audit
    /// log's microseconds) and bare JSON numbers (counts, byte sizes, milliseconds).
    /// An identifier written by clinload would be a JSON string, never a bare number.
    static let machineDigits = """
        '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{32,}\
        |[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?\
        |:-?[0-9]+(\\.[0-9]+)?(?=[,}\\]])'
        """

    static func find(_ values: Set<String>, in connection: PostgresConnection) throws -> [String] {
        let columns = try connection.query("""
            SELECT c.table_schema, c.table_name, c.column_name, c.data_type FROM information_schema.columns c
            JOIN information_schema.tables t USING (table_schema, table_name)
            WHERE c.table_schema IN ('identity', 'clinical', 'etl') AND t.table_type = 'BASE TABLE'
            """)
        #expect(columns.rowCount > 30)
        var hits: [String] = []
        let array = "{" + values.map { "\"" + $0.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"" }
            .joined(separator: ",") + "}"
        for r in 0..<columns.rowCount {
            let (schema, table, column, type) = (columns.string(r, 0)!, columns.string(r, 1)!, columns.string(r, 2)!, columns.string(r, 3)!)
            // Text and bytes hold values anywhere inside; a uuid, number or time
            // column could only hold one whole (a substring match there would find
            // short digit runs inside random hex or digits by chance).
            let predicate: String
            switch type {
            case "bytea": predicate = "position(convert_to(needle.value, 'UTF8') in scanned.\"\(column)\") > 0"
            case "text", "character varying", "jsonb", "json":
                // UUIDs and hex digests (batch and key ids, hashes in audit entries) are
                // random hex, and audit entries carry clock times and counts: an all-digit
                // value turns up inside one by chance, so digits are looked for outside
                // them (`machineDigits`). Any other value (a UUID patient id among them)
                // is looked for everywhere.
                predicate = """
                    CASE WHEN needle.value ~ '^[0-9]+$'
                         THEN strpos(regexp_replace(scanned."\(column)"::text, \(Self.machineDigits), '', 'gi'), needle.value) > 0
                         ELSE strpos(scanned."\(column)"::text, needle.value) > 0 END
                    """
            default: predicate = "scanned.\"\(column)\"::text = needle.value"
            }
            let found = try connection.query("""
                SELECT count(*), min(needle.value) FROM \(schema).\(table) scanned, unnest($1::text[]) AS needle(value) WHERE \(predicate)
                """, [.text(array)])
            // The needle is named: canaries are planted or public sample values, and a
            // hit has to be traced to the value that leaked.
            if let n = found.int(0, 0), n > 0 { hits.append("\(schema).\(table).\(column): \(n) (e.g. \(found.string(0, 1) ?? "?"))") }
        }
        return hits
    }
}
