import ClinloadCore
import ClinloadCrypto
import ClinloadDefinitions
import ClinloadPostgres
import ClinloadStore
import Foundation
import Testing

@Suite("Audit log: hash chain and append-only")
struct AuditLogTests {
    @Test func entriesChainAndTheTableRefusesChanges() throws {
        let store = try TestStore()
        defer { store.cleanUp() }
        #expect(try store.run(try store.generated(rows: 20)).status == .loaded)
        #expect(try store.run(try store.generated(rows: 20, seed: 5, name: "b.csv")).status == .loaded)

        let connection = try store.connect()
        defer { connection.close() }
        let rows = try connection.query("SELECT seq, payload, prev_hash, entry_hash, event FROM etl.audit_log ORDER BY seq")
        #expect(rows.rowCount == 5)
        #expect((0..<rows.rowCount).map { rows.string($0, 4)! }
                == ["batch_started", "key_generated", "batch_completed", "batch_started", "batch_completed"])
        var previous = AuditLog.genesisHash
        for r in 0..<rows.rowCount {
            #expect(rows.bytes(r, 2) == previous)
            let hash = AuditLog.chainHash(previous: previous, payload: rows.string(r, 1)!)
            #expect(rows.bytes(r, 3) == hash)
            previous = hash
        }
        #expect(try AuditLog(connection: connection).head().hash == previous)

        for statement in ["UPDATE etl.audit_log SET event = 'x'", "DELETE FROM etl.audit_log", "TRUNCATE etl.audit_log"] {
            let error = #expect(throws: PostgresError.self) { try connection.execute(statement) }
            #expect(error?.sqlstate == "42501")
        }
        #expect(try store.count("SELECT count(*) FROM etl.audit_log") == 5)
    }

    @Test func aChangedPipelineDefinitionIsAudited() throws {
        let store = try TestStore()
        defer { store.cleanUp() }
        #expect(try store.run(try store.generated(rows: 5)).status == .loaded)
        // The same pipeline with an edited definition (here only a comment differs).
        let pipeline = try store.editedPipeline().pipeline
        #expect(try store.run(try store.generated(rows: 5, seed: 2, name: "b.csv"), pipeline: pipeline).status == .loaded)
        #expect(try store.count("SELECT count(*) FROM etl.audit_log WHERE event = 'pipeline_definition_changed'") == 1)
        #expect(try store.run(try store.generated(rows: 5, seed: 3, name: "c.csv"), pipeline: pipeline).status == .loaded)
        #expect(try store.count("SELECT count(*) FROM etl.audit_log WHERE event = 'pipeline_definition_changed'") == 1)
    }

    @Test func migrationsApplyOnce() throws {
        let store = try TestStore()
        defer { store.cleanUp() }
        let connection = try store.connect()
        defer { connection.close() }
        let runner = MigrationRunner(connection: connection)
        #expect(try runner.applyPending().isEmpty)
        #expect(try runner.status().allSatisfy { $0.appliedAt != nil })
        #expect(try runner.status().count == Migrations.all.count)
    }
}
