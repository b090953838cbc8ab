import ClinloadCore
import ClinloadEngine
import ClinloadPostgres
import Foundation
import Testing

@Suite("Least-privilege roles")
struct RoleTests {
    /// A login role in the given group, and a URL to the test database as it.
    private func login(_ group: String, store: TestStore) throws -> String {
        let name = "t_\(group.dropFirst("clinload_".count))_\(UUID().uuidString.prefix(8).lowercased())"
        let admin = try store.connect()
        defer { admin.close() }
        try admin.execute("CREATE ROLE \(name) LOGIN IN ROLE \(group)")
        return store.url.replacingOccurrences(of: "user=postgres", with: "user=\(name)")
    }

    /// A fresh store and a batch runner logged in as a member of `clinload_loader`:
    /// clinload running as the loader against an existing, migrated database.
    private func asLoader(_ body: (TestStore, String, BatchRunner) throws -> Void) throws {
        let store = try TestStore()
        defer { store.cleanUp() }
        let loaderURL = try login("clinload_loader", store: store)
        let (connection, runner) = try store.runner(url: loaderURL)
        defer { connection.close() }
        try body(store, loaderURL, runner)
    }

    private func sqlstate(_ url: String, _ sql: String) throws -> String? {
        let connection = try PostgresConnection(url: url)
        defer { connection.close() }
        do {
            try connection.execute(sql)
            return nil
        } catch let error as PostgresError {
            return error.sqlstate
        }
    }

    @Test func theLoaderLoadsButCanOnlyAppendToTheAuditLog() throws {
        try asLoader { store, loaderURL, runner in
            let outcome = runner.run(pipeline: try store.pipeline(), file: try store.generated(rows: 40, invalidEvery: 25))
            #expect(outcome.status == .loaded, "\(String(describing: outcome.error))")
            #expect(outcome.counts.recordsQuarantined == 1)

            for statement in ["UPDATE etl.audit_log SET event = 'x'", "DELETE FROM etl.audit_log", "TRUNCATE etl.audit_log",
                              "DELETE FROM etl.batches", "CREATE TABLE etl.sneaky (x int)"] {
                #expect(try sqlstate(loaderURL, statement) == PostgresError.SQLState.insufficientPrivilege, "\(statement)")
            }
            // Refused by privileges, not only by the append-only trigger.
            let check = try PostgresConnection(url: loaderURL)
            defer { check.close() }
            let privileges = try check.query("""
                SELECT has_table_privilege('etl.audit_log', 'INSERT'), has_table_privilege('etl.audit_log', 'UPDATE'),
                       has_table_privilege('etl.audit_log', 'DELETE'), has_table_privilege('etl.audit_log', 'TRUNCATE')
                """)
            #expect((0..<4).map { privileges.string(0, $0) } == ["t", "f", "f", "f"])
        }
    }

    /// A rejected batch takes back the rows its chunks already moved: the loader
    /// may do that for its own running batch, yet still cannot delete rows at will.
    @Test func theLoaderCanRejectAndReloadBatchesButNotDeleteRows() throws {
        try asLoader { store, loaderURL, runner in
            runner.chunkSize = 16
            let file = try store.generated(rows: 40)
            #expect(runner.run(pipeline: try store.pipeline(), file: file).status == .loaded)
            // One record in ten is invalid: over the 5% limit, found after chunks have moved.
            let rejected = runner.run(pipeline: try store.pipeline(), file: try store.generated(rows: 100, seed: 9, invalidEvery: 10, name: "b.csv"))
            #expect(rejected.status == .rejected, "\(String(describing: rejected.error))")
            #expect(try store.count("SELECT count(*) FROM identity.patient WHERE batch_id = $1::uuid", [.text(rejected.batchId!.uuidString)]) == 0)
            #expect(try store.count("SELECT count(*) FROM identity.patient") == 40)
            // A reload supersedes the loaded batch through its function, too.
            let reloaded = runner.run(pipeline: try store.editedPipeline().pipeline, file: file, reload: true)
            #expect(reloaded.status == .loaded && reloaded.superseded.count == 1, "\(String(describing: reloaded.error))")
            for statement in ["DELETE FROM identity.patient", "DELETE FROM clinical.patient", "DELETE FROM clinical.condition"] {
                #expect(try sqlstate(loaderURL, statement) == PostgresError.SQLState.insufficientPrivilege, "\(statement)")
            }
        }
    }

    /// The message feed's chunked vault (deferred updates, per-chunk moves) under
    /// the loader role: loaded, rejected after chunks moved, and reloaded.
    @Test func theLoaderRunsAMessageFeedThroughEveryOutcome() throws {
        try asLoader { store, loaderURL, runner in
            let pipeline = try store.pipeline("hl7v2_adt")
            let good = try store.generatedMessages(300, seed: 3, name: "adt.xml").path
            let loaded = runner.run(pipeline: pipeline, file: good)
            #expect(loaded.status == .loaded, "\(String(describing: loaded.error))")
            let encounters = try store.count("SELECT count(*) FROM clinical.encounter")
            #expect(encounters > 0)
            let rejected = runner.run(pipeline: pipeline, file: try store.generatedMessages(600, seed: 8, invalidEvery: 10, name: "bad.xml").path)
            #expect(rejected.status == .rejected, "\(String(describing: rejected.error))")
            #expect(try store.count("SELECT count(*) FROM clinical.encounter WHERE batch_id = $1::uuid", [.text(rejected.batchId!.uuidString)]) == 0)
            let reloaded = runner.run(pipeline: try store.editedPipeline("hl7v2_adt").pipeline, file: good, reload: true)
            #expect(reloaded.status == .loaded && reloaded.superseded == [loaded.batchId!], "\(String(describing: reloaded.error))")
            #expect(try store.count("SELECT count(*) FROM clinical.encounter") == encounters)
        }
    }

    @Test func analystsReadClinicalTablesOnly() throws {
        let store = try TestStore()
        defer { store.cleanUp() }
        #expect(try store.run(try store.generated(rows: 10)).status == .loaded)
        let analyst = try login("clinload_analyst", store: store)
        #expect(try sqlstate(analyst, "SELECT count(*) FROM clinical.patient") == nil)
        for statement in ["SELECT * FROM identity.patient", "SELECT * FROM etl.data_keys", "SELECT payload FROM etl.quarantine",
                          "SELECT * FROM etl.audit_log", "INSERT INTO clinical.patient (surrogate_id, batch_id, source_ordinal) VALUES (gen_random_uuid(), gen_random_uuid(), 1)"] {
            #expect(try sqlstate(analyst, statement) == PostgresError.SQLState.insufficientPrivilege, "\(statement)")
        }
    }

    @Test func auditorsReadTheTrailAndNothingElse() throws {
        let store = try TestStore()
        defer { store.cleanUp() }
        #expect(try store.run(try store.generated(rows: 10)).status == .loaded)
        let auditor = try login("clinload_auditor", store: store)
        #expect(try sqlstate(auditor, "SELECT count(*) FROM etl.audit_log") == nil)
        #expect(try sqlstate(auditor, "SELECT count(*) FROM etl.batches") == nil)
        for statement in ["SELECT * FROM identity.patient", "SELECT * FROM clinical.patient", "SELECT * FROM etl.data_keys",
                          "INSERT INTO etl.audit_log (seq, occurred_at, event, actor, payload, prev_hash, entry_hash) VALUES (99, now(), 'x', 'x', '{}', '', '')"] {
            #expect(try sqlstate(auditor, statement) == PostgresError.SQLState.insufficientPrivilege, "\(statement)")
        }
    }
}
