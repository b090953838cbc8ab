import ClinloadCore
import ClinloadCrypto
import ClinloadEngine
import ClinloadPostgres
import ClinloadStore
import Foundation
import Testing

@Suite("Batches: quarantine, rejection, default deny, identity across batches")
struct BatchBehaviourTests {
    @Test func badRecordsAreQuarantinedAndCountsAddUp() throws {
        let store = try TestStore()
        defer { store.cleanUp() }
        // Every 25th record is bad: 4 %, under the pipeline's 5 % limit.
        let path = try store.generated(rows: 500, invalidEvery: 25)
        let outcome = try store.run(path)
        #expect(outcome.status == .loaded)
        #expect(outcome.counts.recordsRead == 500)
        #expect(outcome.counts.recordsQuarantined == 20)
        #expect(outcome.counts.rowsLoaded == ["identity.patient": 480, "clinical.patient": 480])
        #expect(try store.count("SELECT count(*) FROM identity.patient") + store.count("SELECT count(*) FROM etl.quarantine") == 500)
        // Exactly the bad records, with their lines and machine-readable reasons.
        #expect(try store.count("SELECT count(*) FROM etl.quarantine WHERE source_ordinal % 25 <> 0") == 0)
        #expect(try store.count("SELECT count(*) FROM etl.quarantine WHERE source_line <> source_ordinal + 1") == 0)
        #expect(Set(outcome.reasons.map { "\($0.field)/\($0.rule)" })
                == ["BIRTHDATE/type", "SSN/pattern", "GENDER/enum", "FIRST/required", "LAT/maximum"])

        // The quarantined record is stored only encrypted, and decrypts to the original line.
        let connection = try store.connect()
        defer { connection.close() }
        let q = try connection.query("""
            SELECT q.payload, q.data_key_id::text, q.reasons::text, b.batch_id::text FROM etl.quarantine q
            JOIN etl.batches b USING (batch_id) WHERE q.source_ordinal = 25
            """)
        let payload = q.bytes(0, 0)!
        let keyId = UUID(uuidString: q.string(0, 1)!)!
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        let original = String(lines[25])
        #expect(!q.string(0, 2)!.contains("2019-02-30"))
        let key = try KeyRing(connection: connection, provider: store.keyProvider()).dataKey(id: keyId)
        let plain = try IdentifierOpener(dataKey: key.plaintext, keyId: keyId).open(
            payload, column: IdentifierColumn(table: "etl.quarantine", column: "payload:1:25"),
            surrogate: UUID(uuidString: q.string(0, 3)!)!)
        #expect(String(decoding: plain, as: UTF8.self) == original)
        #expect(try PlaintextScan.find([String(original.split(separator: ",")[3])], in: connection).isEmpty)
    }

    @Test func tooManyBadRecordsRejectTheBatchAndMergeNothing() throws {
        let store = try TestStore()
        defer { store.cleanUp() }
        let outcome = try store.run(try store.generated(rows: 100, invalidEvery: 2))
        #expect(outcome.status == .rejected)
        #expect(outcome.exitStatus == .dataError)
        #expect(outcome.counts.recordsQuarantined == 50)
        #expect(try store.count("SELECT count(*) FROM identity.patient") == 0)
        #expect(try store.count("SELECT count(*) FROM clinical.patient") == 0)
        #expect(try store.count("SELECT count(*) FROM etl.batches WHERE state = 'rejected' AND error_code = 'reject_ratio_exceeded'") == 1)
        #expect(try store.count("SELECT count(*) FROM etl.quarantine") == 50)
    }

    @Test func anUnclassifiedColumnFailsTheBatchNamingIt() throws {
        let store = try TestStore()
        defer { store.cleanUp() }
        let source = try String(contentsOfFile: try store.generated(rows: 5), encoding: .utf8)
        var lines = source.split(separator: "\n").map(String.init)
        lines[0] += ",NICKNAME"
        for i in 1..<lines.count { lines[i] += ",Bobby" }
        let outcome = try store.run(try store.write(lines.joined(separator: "\n") + "\n", name: "extra.csv"))
        #expect(outcome.status == .failed)
        #expect(outcome.error?.code == .unclassifiedField)
        #expect(outcome.error?.location.field == "NICKNAME")
        #expect(outcome.exitStatus == .dataError)
        #expect(try store.count("SELECT count(*) FROM identity.patient") == 0)
        #expect(try store.count("SELECT count(*) FROM etl.batches WHERE state = 'failed' AND error_code = 'unclassified_field'") == 1)
        #expect(try store.count("SELECT count(*) FROM etl.audit_log WHERE event = 'batch_failed'") == 1)
    }

    @Test func aHeaderThatDiffersFromTheSchemaFails() throws {
        let store = try TestStore()
        defer { store.cleanUp() }
        let source = try String(contentsOfFile: try store.generated(rows: 3), encoding: .utf8)
        let swapped = source.replacingOccurrences(of: "Id,BIRTHDATE,DEATHDATE", with: "Id,DEATHDATE,BIRTHDATE")
        let outcome = try store.run(try store.write(swapped, name: "swapped.csv"))
        #expect(outcome.error?.code == .headerMismatch)
        #expect(outcome.error?.location.field == "BIRTHDATE")
    }

    @Test func theSamePatientKeepsItsSurrogateAcrossBatches() throws {
        let store = try TestStore()
        defer { store.cleanUp() }
        let first = try store.generated(rows: 50, seed: 9)
        #expect(try store.run(first).status == .loaded)
        let connection = try store.connect()
        defer { connection.close() }
        let before = try connection.query("SELECT blind_index, surrogate_id::text FROM identity.patient ORDER BY source_ordinal LIMIT 20")

        // A later file with 20 of the same patients (a changed amount) and 5 new ones.
        let lines = try String(contentsOfFile: first, encoding: .utf8).split(separator: "\n").map(String.init)
        var later = [lines[0]]
        for line in lines[1...20] { later.append(line[..<line.lastIndex(of: ",")!] + ",1.00") }
        let fresh = try String(contentsOfFile: try store.generated(rows: 5, seed: 77, name: "fresh.csv"), encoding: .utf8)
        later += fresh.split(separator: "\n").dropFirst().map(String.init)
        let outcome = try store.run(try store.write(later.joined(separator: "\n") + "\n", name: "later.csv"))
        #expect(outcome.status == .loaded)
        #expect(outcome.counts.recordsLoaded == 25)
        #expect(try store.count("SELECT count(*) FROM identity.patient") == 55)
        #expect(try store.count("SELECT count(*) FROM clinical.patient WHERE healthcare_coverage = 1.00") == 20)
        for r in 0..<before.rowCount {
            let now = try connection.query("SELECT surrogate_id::text, batch_id::text FROM identity.patient WHERE blind_index = $1",
                                           [.bytes(before.bytes(r, 0)!)])
            #expect(now.string(0, 0) == before.string(r, 1))
            #expect(now.string(0, 1) == outcome.batchId?.uuidString.lowercased())
        }
    }

    @Test func aRepeatedNaturalKeyWithinAFileIsQuarantined() throws {
        let store = try TestStore()
        defer { store.cleanUp() }
        var lines = try String(contentsOfFile: try store.generated(rows: 40), encoding: .utf8).split(separator: "\n").map(String.init)
        lines.append(lines[3])
        let outcome = try store.run(try store.write(lines.joined(separator: "\n") + "\n", name: "dup.csv"))
        #expect(outcome.status == .loaded)
        #expect(outcome.counts.recordsRead == 41)
        #expect(outcome.counts.recordsQuarantined == 1)
        #expect(try store.count("SELECT count(*) FROM identity.patient") == 40)
        #expect(try store.count("SELECT count(*) FROM etl.quarantine WHERE source_ordinal = 41 AND reasons @> '[{\"rule\":\"unique\",\"field\":\"Id\"}]'") == 1)
        // Kept like every quarantined record: encrypted under the batch key, and it opens to the repeated line.
        let connection = try store.connect()
        defer { connection.close() }
        let row = try connection.query("SELECT payload, data_key_id::text FROM etl.quarantine WHERE source_ordinal = 41")
        let payload = try #require(row.bytes(0, 0))
        let keyId = try #require(row.string(0, 1).flatMap(UUID.init(uuidString:)))
        let key = try KeyRing(connection: connection, provider: store.keyProvider()).dataKey(id: keyId)
        let opened = try IdentifierOpener(dataKey: key.plaintext, keyId: keyId)
            .open(payload, column: IdentifierColumn(table: "etl.quarantine", column: "payload:1:41"), surrogate: outcome.batchId!)
        #expect(String(decoding: opened, as: UTF8.self).hasPrefix(lines[3]))
    }

    @Test func twoRunnersOnTheSameFileLoadItOnce() async throws {
        let store = try TestStore()
        defer { store.cleanUp() }
        let path = try store.generated(rows: 2000)
        // Create the blind-index key first so both runners race only on the batch.
        _ = try store.run(try store.generated(rows: 1, seed: 3, name: "warmup.csv"))
        async let a = Task.detached { try store.run(path) }.value
        async let b = Task.detached { try store.run(path) }.value
        let outcomes = try await [a, b]
        #expect(Set(outcomes.map(\.status)) == [.loaded, .alreadyLoaded])
        #expect(try store.count("SELECT count(*) FROM identity.patient") == 2001)
        #expect(try store.count("SELECT count(*) FROM etl.batches WHERE state = 'loaded'") == 2)
    }

    /// A chunk's new patients reach the vault and clinical tables in surrogate
    /// order (cheaper index inserts), each chunk its own run, and still each with
    /// its own record: the clinical row of every vault row is the one of the same
    /// source record.
    @Test func newPatientsAreInsertedInSurrogateOrderWithinEachChunk() throws {
        let store = try TestStore()
        defer { store.cleanUp() }
        // The order rows reach the server in: a sequence drawn per row as it
        // arrives (a heap's physical order is not quite that).
        try store.connect().execute("""
            ALTER TABLE identity.patient ADD COLUMN arrival bigserial;
            ALTER TABLE clinical.patient ADD COLUMN arrival bigserial
            """)
        let outcome = try store.run(try store.generated(rows: 300), chunkSize: 64)
        #expect(outcome.status == .loaded && outcome.counts.recordsLoaded == 300)
        for table in ["identity.patient", "clinical.patient"] {
            let rows = try store.connect().query("SELECT surrogate_id::text, source_ordinal FROM \(table) ORDER BY arrival")
            #expect(rows.rowCount == 300)
            // In file order (which each chunk was before) the surrogates would
            // rise and fall about 150 times; sorted per chunk: five runs, the
            // chunks of 64 records in file order.
            var runs: [[(surrogate: UUIDIndexOrder, ordinal: Int)]] = []
            for r in 0..<rows.rowCount {
                let row = (surrogate: UUIDIndexOrder(rows.uuid(r, 0)!), ordinal: Int(rows.string(r, 1)!)!)
                if let last = runs.last?.last, last.surrogate < row.surrogate { runs[runs.count - 1].append(row) } else { runs.append([row]) }
            }
            #expect(runs.map(\.count) == [64, 64, 64, 64, 44], "\(table)")
            for (k, run) in runs.enumerated() {
                #expect(Set(run.map(\.ordinal)) == Set(k * 64 + 1...k * 64 + run.count), "\(table) chunk \(k)")
            }
        }
        #expect(try store.count("""
            SELECT count(*) FROM identity.patient i JOIN clinical.patient c USING (surrogate_id)
            WHERE i.source_ordinal = c.source_ordinal
            """) == 300)
    }

    /// A patient file is merged a chunk at a time: repeats are found across chunk
    /// boundaries (a new patient's, a known patient's) and within one chunk, known
    /// patients are updated, new ones inserted; and a rejected batch takes back what
    /// its chunks inserted and updates nobody.
    @Test func chunkBoundariesChangeNothingAndARejectedBatchLeavesTheVaultAsItWas() throws {
        let store = try TestStore()
        defer { store.cleanUp() }
        func lines(_ path: String) throws -> [String] {
            try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
        }
        let first = try lines(try store.generated(rows: 30, seed: 1, name: "first.csv"))
        let fresh = try lines(try store.generated(rows: 70, seed: 2, name: "fresh.csv"))
        let other = try lines(try store.generated(rows: 1, seed: 3, name: "other.csv"))
        #expect(try store.run(try store.write(first.joined(separator: "\n") + "\n", name: "a.csv")).status == .loaded)

        // Chunks of 7: records 1-10 known, 11-80 new, 81 repeats 11 and 82 repeats known 2
        // (other chunks), 83 new and 84 its repeat (one chunk: 78-84), 85 repeats 76 (chunk 71-77).
        let second = [first[0]] + first[1...10] + fresh[1...70] + [fresh[1], first[2], other[1], other[1], fresh[66]]
        let outcome = try store.run(try store.write(second.joined(separator: "\n") + "\n", name: "b.csv"), chunkSize: 7)
        #expect(outcome.status == .loaded, "\(String(describing: outcome.error))")
        #expect(outcome.counts.recordsRead == 85 && outcome.counts.recordsQuarantined == 4)
        #expect(try store.count("SELECT count(*) FROM identity.patient") == 101)
        #expect(try store.count("SELECT count(*) FROM clinical.patient") == 101)
        let batch = outcome.batchId!.uuidString
        #expect(try store.count("SELECT count(*) FROM identity.patient WHERE batch_id = '\(batch)'") == 81)
        #expect(try store.count("SELECT count(*) FROM clinical.patient WHERE batch_id = '\(batch)'") == 81)
        #expect(try store.count("""
            SELECT count(*) FROM etl.quarantine WHERE batch_id = '\(batch)' AND source_ordinal IN (81, 82, 84, 85)
            AND reasons @> '[{"rule":"unique","field":"Id"}]' AND payload IS NOT NULL
            """) == 4)

        // 5 known and 20 new records of which 10 are invalid: 40% over the 5% limit.
        let invalid = try lines(try store.generated(rows: 20, seed: 4, invalidEvery: 2, name: "bad.csv"))
        let third = [first[0]] + first[21...25] + invalid[1...]
        let rejected = try store.run(try store.write(third.joined(separator: "\n") + "\n", name: "c.csv"), chunkSize: 7)
        #expect(rejected.status == .rejected)
        #expect(try store.count("SELECT count(*) FROM identity.patient") == 101)
        #expect(try store.count("SELECT count(*) FROM clinical.patient") == 101)
        #expect(try store.count("SELECT count(*) FROM identity.patient WHERE batch_id = '\(rejected.batchId!.uuidString)'") == 0)
        #expect(try store.count("SELECT count(*) FROM etl.quarantine WHERE batch_id = '\(rejected.batchId!.uuidString)'") == 10)
    }
}
