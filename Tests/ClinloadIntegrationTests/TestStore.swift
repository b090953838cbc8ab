import ClinloadCore
import ClinloadDefinitions
import ClinloadEmbedded
import ClinloadEngine
import ClinloadKeys
import ClinloadPostgres
import ClinloadStore
import ClinloadSynth
import Foundation
import Logging

/// The repository and the shared corpus beside it, found from this file's path.
enum Repository {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let pipelines = root.appendingPathComponent("pipelines")
    static let corpus: URL = {
        if let explicit = ProcessInfo.processInfo.environment["CLINLOAD_CORPUS"] { return URL(fileURLWithPath: explicit) }
        return root.deletingLastPathComponent().appendingPathComponent("shared/corpus")
    }()
    static let syntheaPatients = corpus.appendingPathComponent("OHDSI__dbt-synthea/seeds/synthea/patients.csv")
}

/// One real PostgreSQL cluster for the whole test process, started by the
/// project's own EmbeddedPostgres under /tmp (fsync off), stopped at exit.
/// Each test gets a fresh database in it.
enum TestCluster {
    static let home = URL(fileURLWithPath: "/tmp/clinload-tests-\(getpid())")

    static let server: Result<EmbeddedPostgres, Error> = {
        do {
            stopClustersOfEndedRuns()
            try? FileManager.default.removeItem(at: home)
            let server = try EmbeddedPostgres(home: home, durable: false)
            try server.start()
            atexit {
                if case .success(let s) = TestCluster.server { try? s.stop() }
                try? FileManager.default.removeItem(at: TestCluster.home)
            }
            return .success(server)
        } catch {
            return .failure(error)
        }
    }()

    /// A test process killed by a signal (Ctrl-C, or SIGPIPE when its output
    /// is piped into `head`) never reaches its `atexit`: its cluster would run
    /// on, holding memory and a socket. The next test process stops the
    /// clusters of processes that are gone, and removes their folders.
    private static func stopClustersOfEndedRuns() {
        let prefix = "clinload-tests-"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/tmp")) ?? []
        for name in names where name.hasPrefix(prefix) {
            guard let pid = pid_t(name.dropFirst(prefix.count)), pid != getpid(), kill(pid, 0) != 0, errno == ESRCH else { continue }
            let folder = URL(fileURLWithPath: "/tmp").appendingPathComponent(name)
            if let cluster = try? EmbeddedPostgres(home: folder, durable: false) { try? cluster.stop() }
            try? FileManager.default.removeItem(at: folder)
        }
    }

    /// A new, empty, migrated database; returns its URL.
    static func freshDatabase() throws -> String {
        let server = try server.get()
        let name = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)
        let admin = try PostgresConnection(parameters: server.connectionParameters(database: "postgres"))
        try admin.execute("CREATE DATABASE \(name)")
        admin.close()
        let url = "postgresql:///\(name)?host=\(server.socketDirectory.path)&user=postgres"
        let connection = try PostgresConnection(url: url)
        try MigrationRunner(connection: connection).applyPending()
        connection.close()
        return url
    }
}

/// A migrated database, a private key folder and helpers to run batches.
struct TestStore {
    let url: String
    let folder: URL

    /// A key provider URI other than the local key file in the test folder (AWS KMS on moto).
    let customKeyURI: String?

    init(url: String, folder: URL, customKeyURI: String?) {
        self.url = url
        self.folder = folder
        self.customKeyURI = customKeyURI
    }

    init(keyURI: String? = nil) throws {
        url = try TestCluster.freshDatabase()
        folder = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("clinload-it-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        customKeyURI = keyURI
    }

    var keyURI: String { customKeyURI ?? "local:" + folder.appendingPathComponent("master.key").path }
    var environment: RunEnvironment { RunEnvironment(home: folder, databaseURL: url, keyURI: keyURI) }

    func connect() throws -> PostgresConnection { try PostgresConnection(url: url) }

    /// A connection to a fresh store, for `body`; both cleaned up after.
    static func withConnection(_ body: (PostgresConnection) throws -> Void) throws {
        let store = try TestStore()
        defer { store.cleanUp() }
        let connection = try store.connect()
        defer { connection.close() }
        try body(connection)
    }

    func keyProvider() throws -> KeyProvider {
        let connection = try connect()
        defer { connection.close() }
        return try environment.keyProvider(store: connection)
    }

    func pipeline(_ name: String = "synthea_patients") throws -> LoadedPipeline {
        try DefinitionLoader.loadPipeline(name, pipelinesDirectory: Repository.pipelines)
    }

    /// The repository's pipeline `name` with a comment added, written into the
    /// test folder: another definition hash, the same behaviour.
    func editedPipeline(_ name: String = "synthea_patients") throws -> (path: String, pipeline: LoadedPipeline) {
        let original = try String(contentsOf: Repository.pipelines.appendingPathComponent("\(name).yaml"), encoding: .utf8)
        let edited = folder.appendingPathComponent("\(name).yaml")
        try (original.replacingOccurrences(of: "../schemas/", with: Repository.root.appendingPathComponent("schemas").path + "/")
             + "# reviewed 2026-11-30\n").write(to: edited, atomically: true, encoding: .utf8)
        return (edited.path, try DefinitionLoader.loadPipeline(edited.path, pipelinesDirectory: folder))
    }

    /// Runs one file through a fresh runner on its own connection (`chunkSize`:
    /// records per chunk, small to put chunk boundaries inside a small file).
    func run(_ path: String, pipeline: LoadedPipeline? = nil, chunkSize: Int? = nil, reload: Bool = false) throws -> BatchOutcome {
        let connection = try connect()
        defer { connection.close() }
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let runner = BatchRunner(connection: connection, keyProvider: try keyProvider(), logger: logger)
        if let chunkSize { runner.chunkSize = chunkSize }
        return runner.run(pipeline: try pipeline ?? self.pipeline(), file: path, reload: reload)
    }

    /// Writes a generated patients file into the test folder.
    func generated(rows: Int, seed: UInt64 = 1, invalidEvery: Int? = nil, name: String = "patients.csv") throws -> String {
        let path = folder.appendingPathComponent(name).path
        try SyntheaPatientGenerator(options: .init(rows: rows, seed: seed, invalidEvery: invalidEvery)).write(to: path)
        return path
    }

    /// Writes a generated HL7 v2 XML batch file into the test folder.
    func generatedMessages(_ messages: Int, seed: UInt64, invalidEvery: Int? = nil, kinds: HL7v2MessageGenerator.MessageKinds = .adt,
                           name: String) throws -> (path: String, summary: HL7v2MessageGenerator.Summary) {
        let path = folder.appendingPathComponent(name).path
        let summary = try HL7v2MessageGenerator(options: .init(size: .messages(messages), seed: seed, kinds: kinds, invalidEvery: invalidEvery))
            .write(to: path)
        return (path, summary)
    }

    /// A batch runner on its own connection as the given login (`url`), logging
    /// nothing; close `connection` when done.
    func runner(url: String) throws -> (connection: PostgresConnection, runner: BatchRunner) {
        let connection = try RunEnvironment(home: folder, databaseURL: url, keyURI: keyURI).connect()
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return (connection, BatchRunner(connection: connection, keyProvider: try keyProvider(), logger: logger))
    }

    func write(_ text: String, name: String) throws -> String {
        let path = folder.appendingPathComponent(name).path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    func count(_ sql: String, _ parameters: [PostgresParameter] = []) throws -> Int {
        let connection = try connect()
        defer { connection.close() }
        return try connection.query(sql, parameters).int(0, 0) ?? -1
    }

    func cleanUp() { try? FileManager.default.removeItem(at: folder) }
}

/// A minimal RFC 4180 splitter for test fixtures (independent of the reader under test).
enum FixtureCSV {
    /// The non-empty values of `columns` in a CSV file, longer than `minimumLength`:
    /// the canaries that must never appear outside the vault.
    static func values(of columns: [String], inFile path: String, longerThan minimumLength: Int = 0) throws -> Set<String> {
        let rows = rows(try String(contentsOfFile: path, encoding: .utf8))
        var values = Set<String>()
        for column in columns {
            guard let i = rows[0].firstIndex(of: column) else { continue }
            for row in rows.dropFirst() where i < row.count && row[i].count > minimumLength { values.insert(row[i]) }
        }
        return values
    }

    static func rows(_ text: String) -> [[String]] {
        var rows: [[String]] = []
        var field = ""
        var row: [String] = []
        var quoted = false
        var chars = Array(text)
        chars.append("\n")
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if quoted {
                if c == "\"" {
                    if i + 1 < chars.count && chars[i + 1] == "\"" { field.append("\""); i += 1 } else { quoted = false }
                } else { field.append(c) }
            } else if c == "\"" {
                quoted = true
            } else if c == "," {
                row.append(field); field = ""
            } else if c == "\n" || c == "\r\n" {
                row.append(field); field = ""
                if !(row.count == 1 && row[0].isEmpty) { rows.append(row) }
                row = []
            } else if c != "\r" {
                field.append(c)
            }
            i += 1
        }
        return rows
    }
}
