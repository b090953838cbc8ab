import ClinloadCore
import Foundation
import Testing

/// The built `clinload` binary, run as a user (or cron) runs it.
enum CLI {
    static let binary: URL = {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("clinload")
        if FileManager.default.isExecutableFile(atPath: beside.path) { return beside }
        return Repository.root.appendingPathComponent(".build/debug/clinload")
    }()

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Starts `clinload` in the background and returns once `ready` holds (a batch
    /// is running, say) plus a moment for rows to stream.
    /// Starts a `clinload run` on the test store and returns once its batch is running.
    static func startBatch(_ arguments: [String], on store: TestStore) throws -> Process {
        try start(arguments, in: store.folder) {
            try store.count("SELECT count(*) FROM etl.batches WHERE state = 'running'") > 0
        }
    }

    static func start(_ arguments: [String], in directory: URL, until ready: () throws -> Bool) throws -> Process {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.currentDirectoryURL = directory
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(90)
        while Date() < deadline, try !ready() { usleep(50_000) }
        usleep(300_000)
        return process
    }

    static func run(_ arguments: [String], in directory: URL) throws -> Result {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.currentDirectoryURL = directory
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "CLINLOAD_DATABASE_URL")
        environment.removeValue(forKey: "CLINLOAD_HOME")
        process.environment = environment
        let out = directory.appendingPathComponent("stdout-\(UUID().uuidString)")
        let err = directory.appendingPathComponent("stderr-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        try process.run()
        process.waitUntilExit()
        return Result(status: process.terminationStatus,
                      stdout: try String(contentsOf: out, encoding: .utf8), stderr: try String(contentsOf: err, encoding: .utf8))
    }
}

@Suite("clinload command line")
struct CommandLineTests {
    @Test func runLoadsThenSkipsAndNeverPrintsRecordValues() throws {
        let store = try TestStore()
        defer { store.cleanUp() }
        let valid = try store.generated(rows: 60, seed: 11)
        let bad = try store.generated(rows: 40, seed: 12, invalidEvery: 2, name: "bad.csv")
        let common = ["--pipelines", Repository.pipelines.path, "--database-url", store.url, "--key-uri", store.keyURI,
                      "--home", store.folder.path]

        // A file that fails outright: an unclassified column, whose values are canaries too.
        var failingLines = try String(contentsOfFile: try store.generated(rows: 10, seed: 13, name: "source.csv"), encoding: .utf8)
            .split(separator: "\n").map(String.init)
        failingLines[0] += ",NICKNAME"
        for i in 1..<failingLines.count { failingLines[i] += ",Canary\(i)Nick" }
        let failing = try store.write(failingLines.joined(separator: "\n") + "\n", name: "failing.csv")
        // And a file without its header line: its first record must not be taken for column names in any message.
        let headerless = try store.write(failingLines.dropFirst().joined(separator: "\n") + "\n", name: "headerless.csv")

        let first = try CLI.run(["run", "synthea_patients", valid, bad, failing, headerless] + common, in: store.folder)
        #expect(first.status == ExitStatus.dataError.rawValue, "stderr: \(first.stderr)")
        #expect(first.stdout.contains("loaded"))
        #expect(first.stdout.contains("rejected"))
        #expect(first.stdout.contains("unclassified_field"))
        #expect(first.stdout.contains("matching_names=0"))
        #expect(first.stdout.contains("audit chain head: seq"))
        // JSON lines on stderr (not a terminal).
        for line in first.stderr.split(separator: "\n") {
            #expect(line.hasPrefix("{") && line.hasSuffix("}"), "\(line)")
        }

        let second = try CLI.run(["run", "synthea_patients", valid] + common, in: store.folder)
        #expect(second.status == 0)
        #expect(second.stdout.contains("already_loaded"))
        #expect(second.stderr.contains("already loaded"))
        // --reload: nothing to do under the same definition; under an edited one, a
        // new batch that supersedes the first.
        let same = try CLI.run(["run", "synthea_patients", valid, "--reload"] + common, in: store.folder)
        #expect(same.status == 0 && same.stdout.contains("already_loaded"), "stderr: \(same.stderr)")
        let reloaded = try CLI.run(["run", try store.editedPipeline().path, valid, "--reload"] + common, in: store.folder)
        #expect(reloaded.status == 0, "stderr: \(reloaded.stderr)")
        #expect(reloaded.stdout.contains("supersedes batch"))
        #expect(try store.count("SELECT count(*) FROM etl.batches WHERE state = 'superseded'") == 1)
        let earlier = try store.connect().query("SELECT batch_id::text FROM etl.batches WHERE state = 'superseded'").string(0, 0) ?? ""
        let shown = try CLI.run(["batches", "show", earlier] + common.dropFirst(2), in: store.folder)
        #expect(shown.status == 0 && shown.stdout.contains("superseded by") && shown.stdout.contains("state                superseded"),
                "\(shown.stdout)")

        // The rejected batch's quarantine: positions and rules, as a table and as JSON lines.
        let rejected = try store.connect().query("SELECT batch_id::text FROM etl.batches WHERE state = 'rejected'").string(0, 0) ?? ""
        let listed = try CLI.run(["quarantine", "list", rejected] + common.dropFirst(2), in: store.folder)
        #expect(listed.status == 0, "\(listed.stderr)")
        #expect(listed.stdout.contains("RULE") && listed.stdout.contains("bad.csv"))
        let json = try CLI.run(["quarantine", "list", rejected, "--json"] + common.dropFirst(2), in: store.folder)
        let objects = json.stdout.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(objects.count == 20)
        #expect(objects.allSatisfy { ($0["reasons"] as? [[String: Any]])?.isEmpty == false && $0["payload_encrypted"] as? Bool == true })

        // Canaries: every identifier of both files, none printed anywhere.
        var canaries = Set<String>()
        for i in 1..<failingLines.count { canaries.insert("Canary\(i)Nick") }
        for file in [valid, bad, failing] {
            canaries.formUnion(try FixtureCSV.values(of: ["Id", "SSN", "FIRST", "LAST", "ADDRESS", "DRIVERS", "PASSPORT", "BIRTHDATE"],
                                                     inFile: file, longerThan: 4))
        }
        #expect(canaries.count > 300)
        let output = first.stdout + first.stderr + second.stdout + second.stderr + listed.stdout + json.stdout
        let leaked = canaries.filter { output.contains($0) }
        #expect(leaked.isEmpty, "leaked \(leaked.count) values")
        // Nor in any table outside the vault's ciphertexts (batches, audit, quarantine reasons...).
        let connection = try store.connect()
        defer { connection.close() }
        #expect(try PlaintextScan.find(canaries, in: connection).isEmpty)
    }

    @Test func exitStatusesFollowTheDocumentedScheme() throws {
        let store = try TestStore()
        defer { store.cleanUp() }
        let file = try store.generated(rows: 5)
        let db = ["--database-url", store.url, "--key-uri", store.keyURI, "--pipelines", Repository.pipelines.path]

        #expect(try CLI.run(["run"], in: store.folder).status == ExitStatus.usage.rawValue)
        #expect(try CLI.run(["run", "no_such_pipeline", file] + db, in: store.folder).status == ExitStatus.configuration.rawValue)
        let unreachable = try CLI.run(["run", "synthea_patients", file, "--database-url", "postgresql:///x?host=/nonexistent&user=postgres",
                                       "--key-uri", store.keyURI, "--pipelines", Repository.pipelines.path], in: store.folder)
        #expect(unreachable.status == ExitStatus.unavailable.rawValue, "\(unreachable.stderr)")

        // A master key readable by others is refused before anything is loaded.
        #expect(try CLI.run(["run", "synthea_patients", file] + db, in: store.folder).status == 0)
        let keyPath = String(store.keyURI.dropFirst("local:".count))
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: keyPath)
        let other = try store.generated(rows: 5, seed: 99, name: "other.csv")
        let insecure = try CLI.run(["run", "synthea_patients", other] + db, in: store.folder)
        #expect(insecure.status == ExitStatus.configuration.rawValue)
        #expect(insecure.stderr.contains("key_file_insecure"))
        #expect(try store.count("SELECT count(*) FROM identity.patient") == 5)
    }

    @Test func embeddedDatabaseByDefault() throws {
        let folder = URL(fileURLWithPath: "/tmp/clinload-cli-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer {
            _ = try? CLI.run(["db", "stop"], in: folder)
            try? FileManager.default.removeItem(at: folder)
        }
        #expect(try CLI.run(["db", "status"], in: folder).stdout.contains("not initialised"))
        let generate = try CLI.run(["generate", "--rows", "25", "--output", "p.csv"], in: folder)
        #expect(generate.status == 0)
        let run = try CLI.run(["run", Repository.pipelines.appendingPathComponent("synthea_patients.yaml").path, "p.csv"], in: folder)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains(".clinload/postgres/run"))
        let mode = try FileManager.default.attributesOfItem(atPath: folder.appendingPathComponent(".clinload/master.key").path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(try CLI.run(["db", "status"], in: folder).stdout.contains("running"))
        let migrate = try CLI.run(["db", "migrate", "--status"], in: folder)
        #expect(migrate.stdout.contains("applied"))
        #expect(!migrate.stdout.contains("pending"))
        #expect(try CLI.run(["db", "stop"], in: folder).status == 0)
        #expect(try CLI.run(["db", "status"], in: folder).stdout.contains("stopped"))
        // The server log must not hold statement errors (they quote values).
        let log = try String(contentsOfFile: folder.appendingPathComponent(".clinload/postgres/server.log").path, encoding: .utf8)
        #expect(!log.contains("ERROR"))
    }

    @Test func lintAndGenerateReportProblemsWithTheirStatus() throws {
        let folder = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("clinload-lint-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let good = try CLI.run(["lint", "--pipelines", Repository.pipelines.path], in: folder)
        #expect(good.status == 0)
        #expect(good.stdout.contains("ok    synthea_patients.yaml"))

        // A pipeline that routes an SSN to the clinical table is refused, naming the rule and field.
        let broken = folder.appendingPathComponent("pipelines")
        try FileManager.default.createDirectory(at: broken, withIntermediateDirectories: true)
        let original = try String(contentsOf: Repository.pipelines.appendingPathComponent("synthea_patients.yaml"), encoding: .utf8)
        let edited = original
            .replacingOccurrences(of: "identity: ssn}", with: "identity: ssn, clinical: ssn}")
            .replacingOccurrences(of: "../schemas/", with: Repository.root.appendingPathComponent("schemas").path + "/")
        try edited.write(to: broken.appendingPathComponent("leaky.yaml"), atomically: true, encoding: .utf8)
        let refused = try CLI.run(["lint", "--pipelines", broken.path], in: folder)
        #expect(refused.status == ExitStatus.configuration.rawValue)
        #expect(refused.stdout.contains("direct_identifier_in_clinical_table: SSN"))

        let unwritable = try CLI.run(["generate", "--rows", "3", "--output", "/nonexistent-dir/p.csv"], in: folder)
        #expect(unwritable.status == ExitStatus.cannotCreate.rawValue)
        #expect(unwritable.stderr.contains("output_unwritable"))
    }
}
