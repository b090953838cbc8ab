import ClinloadCore
import ClinloadDefinitions
import ClinloadEngine
import ClinloadPostgres
import ClinloadStore
import Foundation
import Testing

/// A file loads once per pipeline, whatever definition loaded it; `reload` loads
/// it again as a batch that supersedes the earlier one, so no row is duplicated.
@Suite("Reloading a file: once per pipeline, superseded on --reload")
struct BatchReloadTests {
    static let conditions = Repository.corpus.appendingPathComponent("OHDSI__dbt-synthea/seeds/synthea/conditions.csv")

    private func state(of batch: UUID, store: TestStore) throws -> (state: String, supersededBy: String?) {
        let connection = try store.connect()
        defer { connection.close() }
        let rows = try connection.query("SELECT state, superseded_by::text FROM etl.batches WHERE batch_id = $1::uuid",
                                        [.text(batch.uuidString)])
        return (rows.string(0, 0) ?? "", rows.string(0, 1))
    }

    @Test func aChangedDefinitionSkipsTheFileAndReloadSupersedesWithoutDuplicates() throws {
        let store = try TestStore()
        defer { store.cleanUp() }
        #expect(try store.run(Repository.syntheaPatients.path).status == .loaded)
        let first = try store.run(Self.conditions.path, pipeline: store.pipeline("synthea_conditions"))
        #expect(first.status == .loaded && first.counts.rowsLoaded["clinical.condition"] == 438)

        // Only a comment changed: the file is not loaded a second time.
        let pipeline = try store.editedPipeline("synthea_conditions").pipeline
        let skipped = try store.run(Self.conditions.path, pipeline: pipeline)
        #expect(skipped.status == .alreadyLoaded && skipped.loadedUnderEarlierDefinition && skipped.batchId == first.batchId)
        #expect(try store.count("SELECT count(*) FROM clinical.condition") == 438)
        #expect(try store.count("SELECT count(*) FROM etl.batches WHERE pipeline = 'synthea_conditions'") == 1)

        // --reload: a new batch; the earlier one gives its rows up in the same transaction.
        let reloaded = try store.run(Self.conditions.path, pipeline: pipeline, reload: true)
        #expect(reloaded.status == .loaded && reloaded.superseded == [first.batchId!])
        #expect(try store.count("SELECT count(*) FROM clinical.condition") == 438)
        #expect(try store.count("SELECT count(*) FROM clinical.condition WHERE batch_id = $1::uuid",
                                [.text(reloaded.batchId!.uuidString)]) == 438)
        let earlier = try state(of: first.batchId!, store: store)
        #expect(earlier.state == "superseded" && earlier.supersededBy == reloaded.batchId!.uuidString.lowercased())
        let connection = try store.connect()
        defer { connection.close() }
        let audit = try connection.query("""
            SELECT payload::jsonb -> 'details' ->> 'superseded_by', payload::jsonb -> 'details' -> 'rows_removed' ->> 'clinical.condition'
            FROM etl.audit_log WHERE event = 'batch_superseded' AND batch_id = $1::uuid
            """, [.text(first.batchId!.uuidString)])
        #expect(audit.rowCount == 1)
        #expect(audit.string(0, 0) == reloaded.batchId!.uuidString.lowercased() && audit.string(0, 1) == "438")
        if case .broken(let seq, let reason) = try AuditVerifier(connection: connection).verify() {
            Issue.record("audit chain broken at \(seq): \(reason)")
        }

        // Now loaded under this definition: skipped as plainly already loaded.
        let again = try store.run(Self.conditions.path, pipeline: pipeline)
        #expect(again.status == .alreadyLoaded && !again.loadedUnderEarlierDefinition && again.batchId == reloaded.batchId)
    }

    /// Patients are updated in place, never deleted: other feeds' rows refer to them.
    @Test func reloadingPatientsUpdatesTheVaultInPlace() throws {
        let store = try TestStore()
        defer { store.cleanUp() }
        let file = try store.generated(rows: 30)
        let first = try store.run(file)
        #expect(first.status == .loaded)
        // The same definition: --reload has nothing to do (a restarted reload skips what it did).
        let same = try store.run(file, reload: true)
        #expect(same.status == .alreadyLoaded && same.batchId == first.batchId)
        let reloaded = try store.run(file, pipeline: try store.editedPipeline().pipeline, reload: true)
        #expect(reloaded.status == .loaded && reloaded.superseded == [first.batchId!])
        for table in ["identity.patient", "clinical.patient"] {
            #expect(try store.count("SELECT count(*) FROM \(table)") == 30)
            #expect(try store.count("SELECT count(*) FROM \(table) WHERE batch_id = $1::uuid", [.text(reloaded.batchId!.uuidString)]) == 30)
        }
        #expect(try state(of: first.batchId!, store: store).state == "superseded")
        // Its lineage stays that of a run that completed; the facet says what became of it.
        let lineage = try CLI.run(["lineage", first.batchId!.uuidString, "--pipelines", Repository.pipelines.path,
                                   "--database-url", store.url, "--key-uri", store.keyURI], in: store.folder)
        #expect(lineage.status == 0, "\(lineage.stderr)")
        let events = lineage.stdout.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(events.map { $0["eventType"] as? String } == ["START", "COMPLETE"])
        let facets = (events.last?["run"] as? [String: Any])?["facets"] as? [String: Any]
        #expect((facets?["clinload_batch"] as? [String: Any])?["state"] as? String == "superseded")
        // Decryptable under the new batch's key: the reveal path reads the updated row.
        #expect(try store.count("SELECT count(*) FROM identity.patient p JOIN etl.batches b ON b.data_key_id = p.data_key_id WHERE b.batch_id = $1::uuid",
                                [.text(reloaded.batchId!.uuidString)]) == 30)
    }

    /// The functions that delete rows for the loader check what they are asked:
    /// committed rows of a loaded batch cannot be withdrawn, and only a running
    /// batch of the same pipeline and input supersedes a loaded one.
    @Test func rowsOfALoadedBatchGoOnlyThroughASupersedingReload() throws {
        let store = try TestStore()
        defer { store.cleanUp() }
        #expect(try store.run(Repository.syntheaPatients.path).status == .loaded)
        let conditions = try store.run(Self.conditions.path, pipeline: store.pipeline("synthea_conditions"))
        let patients = try store.run(try store.generated(rows: 5, name: "other.csv"))
        let connection = try store.connect()
        defer { connection.close() }
        let (loaded, other) = (PostgresParameter.text(conditions.batchId!.uuidString), PostgresParameter.text(patients.batchId!.uuidString))
        let withdrawn = #expect(throws: PostgresError.self) {
            try connection.query("SELECT etl.withdraw_batch_rows($1::uuid, 'clinical.condition')", [loaded])
        }
        #expect(withdrawn?.sqlstate == "55000")
        // Neither a loaded replacement nor another pipeline's or input's batch.
        for replacement in [other, loaded] {
            let superseded = #expect(throws: PostgresError.self) {
                try connection.query("SELECT etl.supersede_batch($1::uuid, $2::uuid)", [loaded, replacement])
            }
            #expect(superseded?.sqlstate == "55000")
        }
        #expect(try store.count("SELECT count(*) FROM clinical.condition") == 438)
        #expect(try state(of: conditions.batchId!, store: store).state == "loaded")
    }
}
