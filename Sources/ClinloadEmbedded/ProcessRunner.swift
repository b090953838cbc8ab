import ClinloadCore
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs a helper program (initdb, pg_ctl) to completion and captures its output.
/// Their output names paths and settings, never data, so it may be shown.
///
/// Uses posix_spawn and waitpid rather than Foundation's Process: `pg_ctl start`
/// leaves a daemon behind, and Process waits for descriptors the daemon inherits,
/// so it never returns. Here the child gets only stdin (/dev/null) and
/// stdout/stderr (an unlinked temporary file); every other descriptor is closed.
enum ProcessRunner {
    struct Outcome {
        var status: Int32
        var output: String
    }

    /// Runs `program` with `arguments`, as `user` via runuser(1) when given (the
    /// server refuses to run as root).
    static func run(_ program: String, _ arguments: [String], as user: String? = nil) throws -> Outcome {
        var argv: [String]
        if let user {
            let runuser = ["/usr/sbin/runuser", "/sbin/runuser"].first { FileManager.default.isExecutableFile(atPath: $0) } ?? "runuser"
            argv = [runuser, "-u", user, "--", program] + arguments
        } else {
            argv = [program] + arguments
        }
        // The server inherits this environment: keep the locale predictable.
        var environment = ProcessInfo.processInfo.environment
        environment["LC_ALL"] = "C"
        environment["LANG"] = "C"
        let envp = environment.map { "\($0.key)=\($0.value)" }

        let capture = try TemporaryCapture()
        defer { close(capture.fd) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, capture.fd, 1)
        posix_spawn_file_actions_adddup2(&actions, capture.fd, 2)
        // Close every other inherited descriptor (closefrom_np is not visible to Swift).
        let openDescriptors = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []).compactMap { Int32($0) }
        for fd in openDescriptors where fd > 2 {
            posix_spawn_file_actions_addclose(&actions, fd)
        }

        var pid: pid_t = 0
        let rc = withCStrings(argv) { cArgv in
            withCStrings(envp) { cEnv in posix_spawn(&pid, argv[0], &actions, nil, cArgv, cEnv) }
        }
        guard rc == 0 else {
            throw ClinloadError(.databaseSetup, stage: .database, "cannot start a PostgreSQL program",
                                attributes: [("program", (program as NSString).lastPathComponent), ("errno", "\(rc)")])
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let exitCode = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        return Outcome(status: exitCode, output: capture.contents())
    }

    private static func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
        let pointers = strings.map { strdup($0) } + [nil]
        defer { pointers.forEach { free($0) } }
        return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
    }
}

/// An anonymous file (created then unlinked) that collects a child's output.
private struct TemporaryCapture {
    let fd: Int32

    init() throws {
        var template = Array((NSTemporaryDirectory() + "/clinload-out-XXXXXX").utf8CString)
        fd = mkstemp(&template)
        guard fd >= 0 else {
            throw ClinloadError(.databaseSetup, stage: .database, "cannot create a temporary file")
        }
        unlink(String(cString: template))
    }

    func contents() -> String {
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        lseek(fd, 0, SEEK_SET)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            out.append(contentsOf: buffer[0..<n])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
