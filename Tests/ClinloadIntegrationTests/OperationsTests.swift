import ClinloadCore
import ClinloadPostgres
import ClinloadStore
import Foundation
import Testing

@Suite("Operating it: audit verify, batches list/show, interrupted batches")
struct OperationsTests {
    @Test func auditVerifyNamesTheFirstTamperedOrMissingEntry() throws {
        let store = try TestStore()
        defer { store.cleanUp() }
        for seed in 1...3 { #expect(try store.run(try store.generated(rows: 10, seed: UInt64(seed), name: "f\(seed).csv")).status == .loaded) }
        let connection = try store.connect()
        defer { connection.close() }
        guard case .intact(let entries, _) = try AuditVerifier(connection: connection).verify() else {
            Issue.record("a fresh chain must verify")
            return
        }
        #expect(entries == 7)   // start and completion of three batches, and the blind-index key's creation
        let common = ["--database-url", store.url, "--key-uri", store.keyURI]
        let ok = try CLI.run(["audit", "verify"] + common, in: store.folder)
        #expect(ok.status == 0)
        #expect(ok.stdout.contains("intact: 7 entries"))
        let export = try CLI.run(["audit", "export"] + common, in: store.folder)
        let exported = export.stdout.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(exported.count == 7)
        #expect(exported.compactMap { ($0["entry"] as? [String: Any])?["seq"] as? Int } == [1, 2, 3, 4, 5, 6, 7])
        #expect(try CLI.run(["audit", "export", "--since", "2999-01-01"] + common, in: store.folder).stdout.isEmpty)

        // A superuser edits entry 5 (a batch completion) behind the trigger's back.
        try connection.execute("""
            ALTER TABLE etl.audit_log DISABLE TRIGGER audit_log_append_only;
            UPDATE etl.audit_log SET payload = replace(payload, '"records_read":10', '"records_read":11') WHERE seq = 5;
            ALTER TABLE etl.audit_log ENABLE TRIGGER audit_log_append_only;
            """)
        #expect(try AuditVerifier(connection: connection).verify() == .broken(seq: 5, reason: .hashMismatch))
        let broken = try CLI.run(["audit", "verify"] + common, in: store.folder)
        #expect(broken.status == ExitStatus.dataError.rawValue)
        #expect(broken.stdout.contains("BROKEN at seq 5: hash_mismatch"))

        // Or deletes entry 2 outright.
        try connection.execute("""
            ALTER TABLE etl.audit_log DISABLE TRIGGER audit_log_append_only;
            DELETE FROM etl.audit_log WHERE seq = 2;
            ALTER TABLE etl.audit_log ENABLE TRIGGER audit_log_append_only;
            """)
        #expect(try AuditVerifier(connection: connection).verify() == .broken(seq: 2, reason: .missingEntry))
    }

    @Test func batchesListAndShowSayWhatHappenedWithoutValues() throws {
        let store = try TestStore()
        defer { store.cleanUp() }
        let good = try store.generated(rows: 30, seed: 21)
        let bad = try store.generated(rows: 10, seed: 22, invalidEvery: 2, name: "bad.csv")
        let loaded = try store.run(good)
        let rejected = try store.run(bad)
        let common = ["--database-url", store.url, "--key-uri", store.keyURI]

        let list = try CLI.run(["batches", "list"] + common, in: store.folder)
        #expect(list.status == 0)
        #expect(list.stdout.contains(loaded.batchId!.uuidString.lowercased()))
        #expect(list.stdout.contains("reject_ratio_exceeded"))
        let failedOnly = try CLI.run(["batches", "list", "--state", "rejected"] + common, in: store.folder)
        #expect(failedOnly.stdout.contains(rejected.batchId!.uuidString.lowercased()))
        #expect(!failedOnly.stdout.contains(loaded.batchId!.uuidString.lowercased()))
        #expect(try CLI.run(["batches", "list", "--state", "bogus"] + common, in: store.folder).status == ExitStatus.usage.rawValue)
        let future = try CLI.run(["batches", "list", "--since", "2999-01-01"] + common, in: store.folder)
        #expect(!future.stdout.contains(loaded.batchId!.uuidString.lowercased()))

        let show = try CLI.run(["batches", "show", rejected.batchId!.uuidString] + common, in: store.folder)
        #expect(show.status == 0)
        #expect(show.stdout.contains(rejected.input!.sha256))
        #expect(show.stdout.contains("rejected"))
        #expect(show.stdout.contains("quarantined"))
        #expect(show.stdout.contains("stage milliseconds") && show.stdout.contains("\"stage\": "))
        let canaries = try FixtureCSV.values(of: ["Id", "SSN", "FIRST", "LAST"], inFile: bad)
        #expect(canaries.filter { show.stdout.contains($0) }.isEmpty)
    }

    @Test func aKilledRunIsDetectedAsInterruptedAndTheFileLoadsExactlyOnce() throws {
        let store = try TestStore()
        defer { store.cleanUp() }
        let rows = 40_000
        let file = try store.generated(rows: rows, seed: 31)
        let arguments = ["run", "synthea_patients", file, "--pipelines", Repository.pipelines.path,
                         "--database-url", store.url, "--key-uri", store.keyURI]
        // Start a load and kill -9 it once its batch is registered and rows are streaming.
        let process = try CLI.startBatch(arguments, on: store)
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(try store.count("SELECT count(*) FROM etl.batches WHERE state = 'running'") == 1)
        #expect(try store.count("SELECT count(*) FROM identity.patient") == 0)   // nothing partial is visible

        let connection = try store.connect()
        defer { connection.close() }
        let killed = try connection.query("SELECT batch_id::text FROM etl.batches WHERE state = 'running'").string(0, 0)!
        let common = ["--pipelines", Repository.pipelines.path, "--database-url", store.url, "--key-uri", store.keyURI]

        // The replay first marks the killed batch interrupted, then loads the same bytes as a linked batch.
        let replay = try CLI.run(["replay", killed] + common, in: store.folder)
        #expect(replay.status == 0, "\(replay.stderr)")
        #expect(try store.count("SELECT count(*) FROM etl.batches WHERE state = 'failed' AND error_code = 'interrupted'") == 1)
        #expect(try store.count("SELECT count(*) FROM etl.batches WHERE state = 'loaded' AND replay_of = $1::uuid", [.text(killed)]) == 1)
        #expect(try store.count("SELECT count(*) FROM identity.patient") == rows)
        #expect(try store.count("SELECT count(*) FROM clinical.patient") == rows)
        #expect(try store.count("SELECT count(*) FROM etl.audit_log WHERE event = 'batch_interrupted'") == 1)
        #expect(try store.count("SELECT count(*) FROM etl.audit_log WHERE event = 'batch_replayed'") == 1)
        // The replay says nothing of the records, and leaves no plaintext behind (a
        // sample of the file's identifiers, scanned in every column of every table).
        let canaries = Set(try FixtureCSV.values(of: ["SSN", "FIRST", "LAST", "ADDRESS", "PASSPORT"], inFile: file, longerThan: 5)
            .sorted().prefix(30))
        #expect(canaries.count == 30)
        #expect(canaries.filter { replay.stdout.contains($0) || replay.stderr.contains($0) }.isEmpty)
        #expect(try PlaintextScan.find(canaries, in: connection).isEmpty)

        // No duplicates ever: the plain run finds the file loaded, and neither batch replays again.
        #expect(try CLI.run(arguments, in: store.folder).stdout.contains("already_loaded"))
        #expect(try CLI.run(["replay", killed] + common, in: store.folder).status == ExitStatus.usage.rawValue)
        let loadedId = try connection.query("SELECT batch_id::text FROM etl.batches WHERE state = 'loaded'").string(0, 0)!
        #expect(try CLI.run(["replay", loadedId] + common, in: store.folder).status == ExitStatus.usage.rawValue)
        #expect(try store.count("SELECT count(*) FROM identity.patient") == rows)
    }

    @Test func replayRefusesChangedBytesAndAcceptsTheSameBytesElsewhere() throws {
        let store = try TestStore()
        defer { store.cleanUp() }
        let file = try store.generated(rows: 10, seed: 51, invalidEvery: 2)
        let rejected = try store.run(file)
        #expect(rejected.status == .rejected)
        let id = rejected.batchId!.uuidString
        let common = ["--pipelines", Repository.pipelines.path, "--database-url", store.url, "--key-uri", store.keyURI]

        let moved = store.folder.appendingPathComponent("archive.csv").path
        try FileManager.default.copyItem(atPath: file, toPath: moved)
        try "tampered\n".write(toFile: file, atomically: true, encoding: .utf8)
        let changed = try CLI.run(["replay", id] + common, in: store.folder)
        #expect(changed.status == ExitStatus.dataError.rawValue)
        #expect(changed.stderr.contains("input_changed"))
        #expect(try store.count("SELECT count(*) FROM etl.batches") == 1)

        let elsewhere = try CLI.run(["replay", id, "--input", moved] + common, in: store.folder)
        #expect(elsewhere.status == ExitStatus.dataError.rawValue)   // the same bad bytes are rejected again
        #expect(try store.count("SELECT count(*) FROM etl.batches WHERE replay_of = $1::uuid AND state = 'rejected'", [.text(id)]) == 1)
    }

    @Test func runAllLoadsTheDropFolderOnceAndKeepsOverlappingRunsOut() throws {
        let store = try TestStore()
        defer { store.cleanUp() }
        let drop = store.folder.appendingPathComponent("drop")
        try FileManager.default.createDirectory(at: drop, withIntermediateDirectories: true)
        _ = try store.generated(rows: 20, seed: 41, name: "drop/patients_2026-11-29.csv")
        _ = try store.generated(rows: 20, seed: 42, invalidEvery: 2, name: "drop/patients_2026-11-30.csv")
        _ = try store.write("not a feed\n", name: "drop/readme.txt")
        let arguments = ["run", "--all", "--input-dir", drop.path, "--pipelines", Repository.pipelines.path,
                         "--database-url", store.url, "--key-uri", store.keyURI]

        let first = try CLI.run(arguments, in: store.folder)
        #expect(first.status == ExitStatus.dataError.rawValue)   // one batch rejected, the other loaded
        #expect(first.stdout.contains("loaded "))
        #expect(first.stdout.contains("rejected"))
        #expect(first.stdout.contains("no pipeline's pattern matches): \(drop.path)/readme.txt"))
        #expect(try store.count("SELECT count(*) FROM identity.patient") == 20)

        let second = try CLI.run(arguments, in: store.folder)
        #expect(second.stdout.contains("already_loaded"))
        #expect(try store.count("SELECT count(*) FROM etl.batches WHERE state = 'loaded'") == 1)

        // While another run --all holds the lock, a second one exits with 75 and touches nothing.
        let holder = try store.connect()
        defer { holder.close() }
        try holder.query("SELECT pg_advisory_lock($1)", [.int(0x636C_6E6C_616C_6C00)])
        let blocked = try CLI.run(arguments, in: store.folder)
        #expect(blocked.status == ExitStatus.temporaryFailure.rawValue)
        #expect(blocked.stderr.contains("lock_held"))
        #expect(try CLI.run(["run", "--all", "--database-url", store.url], in: store.folder).status == ExitStatus.usage.rawValue)
    }
}
