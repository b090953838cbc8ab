import ClinloadCore
import ClinloadEmbedded
import ClinloadPostgres
import Foundation
import Testing

@Suite("Fault injection")
struct FaultInjectionTests {
    @Test func sigtermRollsBackMarksTheBatchCancelledAndReleasesTheLock() throws {
        let store = try TestStore()
        defer { store.cleanUp() }
        let rows = 40_000
        let file = try store.generated(rows: rows, seed: 71)
        let arguments = ["run", "synthea_patients", file, "--pipelines", Repository.pipelines.path,
                         "--database-url", store.url, "--key-uri", store.keyURI]
        let process = try CLI.startBatch(arguments, on: store)
        // No value of the input is on the running process's command line.
        let cmdline = (try? String(contentsOfFile: "/proc/\(process.processIdentifier)/cmdline", encoding: .utf8)) ?? ""
        #expect(cmdline.contains("synthea_patients"))
        let canaries = try FixtureCSV.values(of: ["Id", "SSN", "FIRST", "LAST"], inFile: file, longerThan: 3)
        #expect(canaries.filter { cmdline.contains($0) }.isEmpty)

        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        #expect(process.terminationStatus == ExitStatus.temporaryFailure.rawValue)
        #expect(try store.count("SELECT count(*) FROM etl.batches WHERE state = 'failed' AND error_code = 'cancelled'") == 1)
        #expect(try store.count("SELECT count(*) FROM etl.batches WHERE state = 'running'") == 0)
        #expect(try store.count("SELECT count(*) FROM identity.patient") == 0)

        // The lock is free and the file loads, once.
        let rerun = try CLI.run(arguments, in: store.folder)
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(try store.count("SELECT count(*) FROM identity.patient") == rows)
    }

    /// The same for an XML feed, whose parse runs on a thread of its own: the
    /// parser is stopped and joined, nothing is committed, and a rerun loads.
    @Test func sigtermDuringAnXMLBatchStopsTheParserAndCommitsNothing() throws {
        let store = try TestStore()
        defer { store.cleanUp() }
        let file = store.folder.appendingPathComponent("adt.xml").path
        #expect(try CLI.run(["generate", "--format", "hl7v2-xml", "--message-types", "adt", "--target-bytes", "20M", "--seed", "72",
                             "--output", file], in: store.folder).status == 0)
        let arguments = ["run", "hl7v2_adt", file, "--pipelines", Repository.pipelines.path,
                         "--database-url", store.url, "--key-uri", store.keyURI]
        let process = try CLI.startBatch(arguments, on: store)
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        #expect(process.terminationStatus == ExitStatus.temporaryFailure.rawValue)
        #expect(try store.count("SELECT count(*) FROM etl.batches WHERE state = 'failed' AND error_code = 'cancelled'") == 1)
        #expect(try store.count("SELECT count(*) FROM identity.patient") == 0)
        #expect(try store.count("SELECT count(*) FROM clinical.encounter") == 0)
        let rerun = try CLI.run(arguments, in: store.folder)
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(try store.count("SELECT count(*) FROM clinical.encounter") > 1000)
    }

    @Test func aLostMasterKeyIsReportedNotSilentlyReplaced() throws {
        let store = try TestStore()
        defer { store.cleanUp() }
        let common = ["--pipelines", Repository.pipelines.path, "--database-url", store.url, "--key-uri", store.keyURI]
        #expect(try CLI.run(["run", "synthea_patients", try store.generated(rows: 5)] + common, in: store.folder).status == 0)
        let keyPath = String(store.keyURI.dropFirst("local:".count))
        try FileManager.default.removeItem(atPath: keyPath)
        let lost = try CLI.run(["run", "synthea_patients", try store.generated(rows: 5, seed: 2, name: "b.csv")] + common, in: store.folder)
        #expect(lost.status == ExitStatus.unavailable.rawValue)
        #expect(lost.stderr.contains("key_unavailable"))
        #expect(!FileManager.default.fileExists(atPath: keyPath))
        #expect(try store.count("SELECT count(*) FROM identity.patient") == 5)
    }

    @Test func aCorruptedWrappedKeyIsDetectedBeforeAnyDecryption() throws {
        let store = try TestStore()
        defer { store.cleanUp() }
        #expect(try store.run(try store.generated(rows: 5)).status == .loaded)
        let connection = try store.connect()
        defer { connection.close() }
        try connection.execute("UPDATE etl.data_keys SET wrapped = set_byte(wrapped, 20, (get_byte(wrapped, 20) + 1) % 256) WHERE purpose = 'blind_index'")
        let outcome = try store.run(try store.generated(rows: 5, seed: 2, name: "b.csv"))
        #expect(outcome.status == .failed)
        #expect(outcome.error?.code == .keyUnwrapFailed)
        #expect(try store.count("SELECT count(*) FROM identity.patient") == 5)
        #expect(try store.count("SELECT count(*) FROM etl.batches WHERE state = 'failed' AND error_code = 'key_unwrap_failed'") == 1)
    }

    @Test func theServerKilledMidLoadLeavesNothingPartialAndTheFileLoadsOnceAfterRestart() throws {
        let home = URL(fileURLWithPath: "/tmp/clinload-fault-\(UUID().uuidString.prefix(8))")
        let work = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("clinload-fault-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        let server = try EmbeddedPostgres(home: home, durable: false)
        defer {
            try? server.stop()
            try? FileManager.default.removeItem(at: home)
            try? FileManager.default.removeItem(at: work)
        }
        let rows = 40_000
        let file = work.appendingPathComponent("patients.csv").path
        #expect(try CLI.run(["generate", "--rows", "\(rows)", "--seed", "81", "--output", file], in: work).status == 0)
        let arguments = ["run", "synthea_patients", file, "--pipelines", Repository.pipelines.path, "--home", home.path]
        // The first run creates and starts the embedded server itself.
        var monitor: PostgresConnection?
        let process = try CLI.start(arguments, in: work) {
            if monitor == nil { monitor = try? PostgresConnection(parameters: server.connectionParameters) }
            return (try? monitor?.query("SELECT count(*) FROM etl.batches WHERE state = 'running'").int(0, 0) ?? 0) ?? 0 > 0
        }
        monitor?.close()
        guard case .running(let pid) = try server.status() else {
            Issue.record("the embedded server is not running")
            return
        }
        kill(pid_t(pid), SIGQUIT)   // immediate shutdown: every backend dies mid-statement
        process.waitUntilExit()
        #expect(process.terminationStatus == ExitStatus.unavailable.rawValue)

        // Restarted, the store shows the batch as running (the process could not record its end), nothing loaded;
        // the next run marks it interrupted and loads the file exactly once.
        try server.start()
        let check = try PostgresConnection(parameters: server.connectionParameters)
        defer { check.close() }
        #expect(try check.query("SELECT count(*) FROM identity.patient").int(0, 0) == 0)
        let rerun = try CLI.run(arguments, in: work)
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(try check.query("SELECT count(*) FROM identity.patient").int(0, 0) == rows)
        #expect(try check.query("SELECT count(*) FROM etl.batches WHERE error_code = 'interrupted'").int(0, 0) == 1)
        #expect(try check.query("SELECT count(*) FROM etl.batches WHERE state = 'loaded'").int(0, 0) == 1)
    }

    /// A backend killed outright makes the postmaster restart every backend and
    /// replay its WAL, turning connections away meanwhile ("the database system is
    /// in recovery mode"). Starting the embedded server then must wait for it, not
    /// fail: a load run right after a crash (or a full disk) had failed at once.
    @Test func startingAServerThatIsRecoveringWaitsUntilItAcceptsConnections() throws {
        let home = URL(fileURLWithPath: "/tmp/clinload-recover-\(UUID().uuidString.prefix(8))")
        let server = try EmbeddedPostgres(home: home, durable: false)
        defer {
            try? server.stop()
            try? FileManager.default.removeItem(at: home)
        }
        try server.start()
        let victim = try PostgresConnection(parameters: server.connectionParameters)
        let pid = try #require(victim.query("SELECT pg_backend_pid()").int(0, 0))
        kill(pid_t(pid), SIGKILL)
        victim.close()
        // The crash is noticed within milliseconds; then the server rejects until recovered.
        var sawRecovery = false
        for _ in 0..<200 where !sawRecovery {
            sawRecovery = PostgresConnection.readiness(parameters: server.connectionParameters) == .rejecting
            if !sawRecovery { usleep(5_000) }
        }
        try server.start()
        let check = try PostgresConnection(parameters: server.connectionParameters)
        defer { check.close() }
        #expect(try check.query("SELECT 1").int(0, 0) == 1)
        if !sawRecovery { print("note: the recovery finished before it could be observed") }
    }

    /// The database server's disk fills mid-load (a real tmpfs, a real ENOSPC): the
    /// batch fails with SQLSTATE 53100 (or, if the WAL is what could not grow, the
    /// server stops and the batch is interrupted), nothing of it is visible, and once
    /// the operator has made room the same command loads the file exactly once.
    @Test(.enabled(if: TmpfsMount.isAvailable, "needs permission to mount a tmpfs (CI runs as root)"))
    func aFullDatabaseDiskFailsTheBatchCleanlyAndTheFileLoadsOnceAfterSpaceIsFreed() throws {
        let disk = try TmpfsMount(megabytes: 64)   // initdb takes about 40 MB of it
        let home = disk.path.appendingPathComponent("home")
        let work = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("clinload-full-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        let server = try EmbeddedPostgres(home: home, durable: false)
        defer {
            try? server.stop()
            disk.unmount()
            try? FileManager.default.removeItem(at: work)
        }
        let rows = 40_000
        let file = work.appendingPathComponent("patients.csv").path
        #expect(try CLI.run(["generate", "--rows", "\(rows)", "--seed", "82", "--output", file], in: work).status == 0)
        let arguments = ["run", "synthea_patients", file, "--pipelines", Repository.pipelines.path, "--home", home.path]

        let full = try CLI.run(arguments, in: work)
        #expect(full.status == ExitStatus.unavailable.rawValue, "\(full.stderr)")
        #expect(full.stdout.contains("database_out_of_resources") && full.stdout.contains("sqlstate=53100")
                || full.stdout.contains("database_unavailable"), "\(full.stdout)")

        try disk.resize(megabytes: 1024)
        try server.start()   // a no-op if it survived; a restart (with recovery) if the full WAL stopped it
        let check = try PostgresConnection(parameters: server.connectionParameters)
        defer { check.close() }
        #expect(try check.query("SELECT count(*) FROM identity.patient").int(0, 0) == 0)
        #expect(try check.query("SELECT count(*) FROM clinical.patient").int(0, 0) == 0)
        let rerun = try CLI.run(arguments, in: work)
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(try check.query("SELECT count(*) FROM identity.patient").int(0, 0) == rows)
        #expect(try check.query("SELECT count(*) FROM etl.batches WHERE state = 'loaded'").int(0, 0) == 1)
        #expect(try check.query("""
            SELECT count(*) FROM etl.batches
            WHERE state <> 'loaded' AND error_code IN ('database_out_of_resources', 'interrupted', 'database_unavailable')
            """).int(0, 0) == 1)
    }
}
