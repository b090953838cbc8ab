import ClinloadCore
import ClinloadPostgres
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A private PostgreSQL cluster under the state folder (`.clinload/postgres`),
/// created once with the installed server programs and reused afterwards.
///
/// It listens only on a Unix socket inside its own 0700 folder (no TCP port), so
/// only the user who owns the folder (and root) can reach it; `trust` auth on that
/// socket is therefore no weaker than the file permissions. When clinload runs as
/// root, the server runs as the unprivileged `postgres` user (PostgreSQL refuses
/// root) and the state folder is made traversable for it.
public struct EmbeddedPostgres: Sendable {
    public let home: URL
    public let binaries: ServerBinaries
    /// Durable by default; tests turn fsync off for speed.
    public var durable: Bool
    /// Also listen on 127.0.0.1 with TLS (off by default: the socket is enough on
    /// one machine). Used to test `sslmode=verify-full` end to end.
    public var network: Network?
    public static let databaseName = "clinload"
    public static let superuser = "postgres"
    static let socketPort = "5432"

    /// TCP on loopback, TLS 1.2 or newer only, with this certificate and key (PEM).
    public struct Network: Sendable {
        public var port: Int
        public var certificateFile: String
        public var keyFile: String

        public init(port: Int, certificateFile: String, keyFile: String) {
            self.port = port
            self.certificateFile = certificateFile
            self.keyFile = keyFile
        }
    }

    public init(home: URL, binaries: ServerBinaries? = nil, durable: Bool = true, network: Network? = nil) throws {
        self.home = home.standardizedFileURL
        self.binaries = try binaries ?? ServerBinaries.locate()
        self.durable = durable
        self.network = network
    }

    /// The port number (it also names the Unix socket file).
    var port: String { network.map { String($0.port) } ?? Self.socketPort }

    public var root: URL { home.appendingPathComponent("postgres") }
    public var dataDirectory: URL { root.appendingPathComponent("data") }
    public var socketDirectory: URL { root.appendingPathComponent("run") }
    public var logFile: URL { root.appendingPathComponent("server.log") }

    /// The unprivileged account the server runs as when clinload runs as root.
    var serverUser: String? { geteuid() == 0 ? "postgres" : nil }

    public enum Status: Equatable, Sendable {
        case notInitialised
        case stopped
        case running(pid: Int)
    }

    public func status() throws -> Status {
        guard FileManager.default.fileExists(atPath: dataDirectory.appendingPathComponent("PG_VERSION").path) else {
            return .notInitialised
        }
        let outcome = try ProcessRunner.run(binaries.path("pg_ctl"), ["status", "-D", dataDirectory.path], as: serverUser)
        guard outcome.status == 0 else { return .stopped }
        let pid = outcome.output.split(whereSeparator: { !$0.isNumber }).first.flatMap { Int($0) } ?? 0
        return .running(pid: pid)
    }

    /// Creates the cluster if needed, starts it if stopped, waits until it accepts
    /// connections, and makes sure the clinload database exists. Safe to call
    /// from concurrent processes.
    public func start() throws {
        try prepareFolders()
        try withStartLock {
            if try status() == .notInitialised { try initialise() }
            if case .running = try status() {} else { try startServer() }
            try waitUntilAccepting()
            try ensureDatabase()
        }
    }

    private func startServer() throws {
        let outcome = try ProcessRunner.run(binaries.path("pg_ctl"), [
            "start", "-w", "-t", "60", "-D", dataDirectory.path, "-l", logFile.path,
        ], as: serverUser)
        guard outcome.status == 0 else {
            throw ClinloadError(.databaseUnavailable, stage: .database, "the embedded PostgreSQL server did not start; see its log",
                                attributes: [("log", logFile.path), ("pg_ctl_status", "\(outcome.status)")])
        }
    }

    /// A server found running may still be recovering: after a crash (a killed
    /// backend, a full disk) the postmaster stays up and replays its WAL while
    /// turning connections away, and a load started then failed at once. Waits up
    /// to a minute for it, as `pg_ctl start -w` does for a fresh start; a
    /// postmaster that gave up in the meantime is started again.
    private func waitUntilAccepting() throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while true {
            switch PostgresConnection.readiness(parameters: connectionParameters(database: "postgres")) {
            case .accepting:
                return
            case .noResponse:
                if try status() == .stopped { try startServer() }
            case .rejecting:
                break
            }
            guard ContinuousClock.now < deadline else {
                throw ClinloadError(.databaseUnavailable, stage: .database,
                                    "the embedded PostgreSQL server is running but has not accepted connections for a minute (recovering?); see its log",
                                    attributes: [("log", logFile.path)])
            }
            usleep(100_000)
        }
    }

    public func stop() throws {
        guard case .running = try status() else { return }
        let outcome = try ProcessRunner.run(binaries.path("pg_ctl"), ["stop", "-w", "-m", "fast", "-D", dataDirectory.path], as: serverUser)
        guard outcome.status == 0 else {
            throw ClinloadError(.databaseSetup, stage: .database, "the embedded PostgreSQL server did not stop",
                                attributes: [("pg_ctl_status", "\(outcome.status)")])
        }
    }

    /// libpq parameters for the clinload database on the private socket.
    public var connectionParameters: [(String, String)] {
        connectionParameters(database: Self.databaseName)
    }

    public func connectionParameters(database: String) -> [(String, String)] {
        [("host", socketDirectory.path), ("port", port), ("dbname", database), ("user", Self.superuser)]
    }

    /// Where the data lives, for summaries ("postgresql:///clinload?host=...").
    public var displayURL: String {
        "postgresql:///\(Self.databaseName)?host=\(socketDirectory.path)&user=\(Self.superuser)"
    }

    // MARK: setup

    private func prepareFolders() throws {
        let fm = FileManager.default
        do {
            try fm.createDirectory(at: home, withIntermediateDirectories: true)
            // Root: the server user must traverse the state folder, but not list it.
            try fm.setAttributes([.posixPermissions: serverUser == nil ? 0o700 : 0o711], ofItemAtPath: home.path)
            for dir in [root, socketDirectory] where !fm.fileExists(atPath: dir.path) {
                try fm.createDirectory(at: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            }
        } catch {
            throw ClinloadError(.databaseSetup, stage: .database, "cannot create the state folder", attributes: [("path", home.path)])
        }
        // A Unix socket path must fit in sun_path (107 bytes).
        if socketDirectory.path.utf8.count + "/.s.PGSQL.\(port)".utf8.count > 107 {
            throw ClinloadError(.databaseSetup, stage: .database,
                                "the state folder path is too long for a Unix socket; set CLINLOAD_HOME to a shorter path",
                                attributes: [("path", home.path)])
        }
        if let user = serverUser {
            guard let account = getpwnam(user) else {
                throw ClinloadError(.databaseSetup, stage: .database,
                                    "running as root needs an unprivileged 'postgres' account for the server (install postgresql or create the user)")
            }
            for dir in [root, socketDirectory] {
                guard chown(dir.path, account.pointee.pw_uid, account.pointee.pw_gid) == 0 else {
                    throw ClinloadError(.databaseSetup, stage: .database, "cannot hand the server folder to the postgres user",
                                        attributes: [("path", dir.path)])
                }
            }
            let probe = try ProcessRunner.run("/usr/bin/test", ["-w", root.path, "-a", "-x", root.path], as: user)
            guard probe.status == 0 else {
                throw ClinloadError(.databaseSetup, stage: .database,
                                    "the postgres user cannot reach the state folder (a parent folder is not traversable); run from another folder or set CLINLOAD_HOME",
                                    attributes: [("path", root.path)])
            }
        }
    }

    private func initialise() throws {
        let outcome = try ProcessRunner.run(binaries.path("initdb"), [
            "-D", dataDirectory.path, "-U", Self.superuser, "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync",
        ], as: serverUser)
        guard outcome.status == 0 else {
            throw ClinloadError(.databaseSetup, stage: .database, "initdb failed",
                                attributes: [("initdb_status", "\(outcome.status)"), ("output", ProcessRunnerTail.last(outcome.output))])
        }
        // Settings appended to the cluster's own postgresql.conf (kept across restarts).
        var settings = """

        # --- clinload embedded server ---
        listen_addresses = ''
        unix_socket_directories = '\(socketDirectory.path)'
        unix_socket_permissions = 0700
        port = \(port)
        # Statement errors go to clinload (which keeps only SQLSTATEs); the server log
        # must not repeat them, because messages and DETAIL lines quote row values.
        log_min_messages = fatal
        log_min_error_statement = panic
        log_error_verbosity = terse
        log_parameter_max_length = 0
        log_parameter_max_length_on_error = 0
        # Sized for bulk loads on a small machine: the default 128MB of shared
        # buffers made the merge evict dirty pages on every batch of 200k rows.
        shared_buffers = 512MB
        max_wal_size = 4GB
        checkpoint_timeout = 15min
        wal_compression = \(try walCompression())

        """
        if !durable { settings += "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n" }
        if let network {
            // The server reads its key as the server user and refuses a key others can read.
            let certificate = dataDirectory.appendingPathComponent("server.crt").path
            let key = dataDirectory.appendingPathComponent("server.key").path
            try installServerFile(network.certificateFile, at: certificate, mode: 0o644)
            try installServerFile(network.keyFile, at: key, mode: 0o600)
            settings += """
            listen_addresses = '127.0.0.1'
            ssl = on
            ssl_cert_file = '\(certificate)'
            ssl_key_file = '\(key)'
            ssl_min_protocol_version = 'TLSv1.2'

            """
        }
        let conf = dataDirectory.appendingPathComponent("postgresql.conf")
        guard let handle = try? FileHandle(forWritingTo: conf) else {
            throw ClinloadError(.databaseSetup, stage: .database, "cannot configure the new cluster", attributes: [("path", conf.path)])
        }
        handle.seekToEndOfFile()
        handle.write(Data(settings.utf8))
        try? handle.close()
    }

    /// lz4 when these server binaries have it (PostgreSQL built `--with-lz4`, as
    /// Debian's is), else pglz (`on`). Updating 100,000 known patients spent a
    /// third of the server's time compressing full-page images with pglz; with
    /// lz4 the whole load took 15.6 s instead of 18.0 s.
    private func walCompression() throws -> String {
        let probe = try ProcessRunner.run(binaries.path("postgres"), [
            "-D", dataDirectory.path, "-C", "wal_compression", "-c", "wal_compression=lz4",
        ], as: serverUser)
        return probe.status == 0 ? "lz4" : "on"
    }

    private func installServerFile(_ source: String, at destination: String, mode: Int) throws {
        let fm = FileManager.default
        do {
            try? fm.removeItem(atPath: destination)
            try fm.copyItem(atPath: source, toPath: destination)
            try fm.setAttributes([.posixPermissions: mode], ofItemAtPath: destination)
            if let user = serverUser, let account = getpwnam(user) {
                guard chown(destination, account.pointee.pw_uid, account.pointee.pw_gid) == 0 else { throw CocoaError(.fileWriteNoPermission) }
            }
        } catch {
            throw ClinloadError(.databaseSetup, stage: .database, "cannot install the server's TLS files", attributes: [("path", destination)])
        }
    }

    private func ensureDatabase() throws {
        let admin: PostgresConnection
        do {
            admin = try PostgresConnection(parameters: connectionParameters(database: "postgres"))
        } catch let error as PostgresError {
            throw error.clinloadError
        }
        defer { admin.close() }
        do {
            let exists = try admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [.text(Self.databaseName)])
            if exists.rowCount == 0 {
                try admin.execute("CREATE DATABASE \(Self.databaseName)")
            }
        } catch let error as PostgresError {
            // Another process created it between our check and CREATE: fine.
            if error.sqlstate != "42P04" { throw error.clinloadError }
        }
    }

    /// Serialises cluster creation and start between processes (flock on a file).
    private func withStartLock<R>(_ body: () throws -> R) throws -> R {
        let lockPath = home.appendingPathComponent("embedded.lock").path
        let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw ClinloadError(.databaseSetup, stage: .database, "cannot open the embedded server lock", attributes: [("path", lockPath)])
        }
        defer { close(fd) }
        flock(fd, LOCK_EX)
        defer { flock(fd, LOCK_UN) }
        return try body()
    }
}

enum ProcessRunnerTail {
    /// The last line of a program's output, for error attributes.
    static func last(_ output: String) -> String {
        output.split(whereSeparator: \.isNewline).last.map(String.init) ?? ""
    }
}
