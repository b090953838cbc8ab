import ClinloadAWS
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One moto server (an AWS emulator; `pip install 'moto[server]'`, see
/// scripts/bootstrap) on 127.0.0.1 for the whole test process, started on first
/// use on a free port and stopped at exit.
///
/// Started with posix_spawn, not Foundation's Process (which can hang waiting for
/// descriptors a child keeps open): stdin/stdout/stderr are /dev/null, every other
/// descriptor is closed, and the server runs in its own process group so the
/// whole group (a pyenv shim may sit in front of Python) is stopped at exit.
///
/// The fake credentials ("testing") are given to each client explicitly; the
/// process environment is not touched. moto does not verify signatures — the
/// SigV4 test vectors are what prove signing.
enum MotoServer {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static let region = "us-east-1"
    static let credentials = AWSCredentials(accessKeyId: "testing", secretAccessKey: "testing", sessionToken: "testing")
    /// The same, as an environment for the URI-based initialisers.
    static let environment = ["AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing"]

    nonisolated(unsafe) private static var runningGroup: pid_t = 0

    static let started: Result<URL, Failure> = start()

    /// The emulator's endpoint (http://127.0.0.1:PORT).
    static func endpoint() throws -> URL { try started.get() }

    /// A client of the emulator with the fake credentials.
    static func client(options: AWSKMSClient.Options = AWSKMSClient.Options()) throws -> AWSKMSClient {
        try AWSKMSClient(region: region, endpoint: endpoint(), credentials: credentials, options: options)
    }

    private static func start() -> Result<URL, Failure> {
        guard let program = executable("moto_server") else {
            return .failure(Failure(description: "moto_server is not on PATH: run scripts/bootstrap (pip install 'moto[server]')"))
        }
        for _ in 0..<3 {
            guard let port = LoopbackSocket.freePort() else { continue }
            guard let pid = spawn([program, "-H", "127.0.0.1", "-p", "\(port)"]) else {
                return .failure(Failure(description: "cannot start moto_server"))
            }
            let deadline = Date().addingTimeInterval(60)
            while Date() < deadline {
                var status: Int32 = 0
                if waitpid(pid, &status, WNOHANG) == pid { break }        // exited (port taken?): try another
                if LoopbackSocket.accepts(port: port) {
                    runningGroup = pid
                    atexit { MotoServer.stop() }
                    return .success(URL(string: "http://127.0.0.1:\(port)")!)
                }
                usleep(100_000)
            }
            kill(-pid, SIGKILL)
            var status: Int32 = 0
            _ = waitpid(pid, &status, 0)
        }
        return .failure(Failure(description: "moto_server did not start listening"))
    }

    /// SIGTERM to the server's group, then SIGKILL if it is still there after
    /// five seconds: exit never waits on the emulator for long.
    private static func stop() {
        let group = runningGroup
        guard group > 0 else { return }
        runningGroup = 0
        kill(-group, SIGTERM)
        var status: Int32 = 0
        for _ in 0..<50 {
            if waitpid(group, &status, WNOHANG) != 0 { return }
            usleep(100_000)
        }
        kill(-group, SIGKILL)
        _ = waitpid(group, &status, 0)
    }

    private static func executable(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for folder in path.split(separator: ":") {
            let candidate = "\(folder)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    private static func spawn(_ argv: [String]) -> pid_t? {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let open = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []).compactMap { Int32($0) }
        for fd in open where fd > 2 { posix_spawn_file_actions_addclose(&actions, fd) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // Its own process group; no blocked signals and default dispositions (the
        // spawning thread may block SIGTERM, and a child inherits its mask — then
        // it could not be stopped).
        var empty = sigset_t()
        sigemptyset(&empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGHUP, SIGPIPE] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        posix_spawnattr_setpgroup(&attributes, 0)

        let environment = ProcessInfo.processInfo.environment.map { "\($0.key)=\($0.value)" }
        let cArgv = argv.map { strdup($0) } + [nil]
        let cEnv = environment.map { strdup($0) } + [nil]
        defer {
            cArgv.forEach { free($0) }
            cEnv.forEach { free($0) }
        }
        var pid: pid_t = 0
        let rc = cArgv.withUnsafeBufferPointer { a in
            cEnv.withUnsafeBufferPointer { e in posix_spawn(&pid, argv[0], &actions, &attributes, a.baseAddress!, e.baseAddress!) }
        }
        return rc == 0 ? pid : nil
    }
}

/// Loopback TCP helpers for the failure tests.
enum LoopbackSocket {
    /// A port nothing listens on right now (bound, read, closed).
    static func freePort() -> UInt16? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        guard bind(fd, port: 0) else { return nil }
        return boundPort(fd)
    }

    /// Whether something accepts TCP connections on 127.0.0.1:`port`.
    static func accepts(port: UInt16) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = loopback(port: port)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }

    /// A listener that never answers: connections complete (the kernel accepts
    /// them into the backlog) and requests are received, but nothing is ever
    /// read or written — a hung key service, from the client's side.
    final class Silent {
        let fd: Int32
        let port: UInt16

        init?() {
            fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { return nil }
            guard LoopbackSocket.bind(fd, port: 0), listen(fd, 64) == 0, let port = LoopbackSocket.boundPort(fd) else {
                close(fd)
                return nil
            }
            self.port = port
        }

        deinit { close(fd) }

        var endpoint: URL { URL(string: "http://127.0.0.1:\(port)")! }
    }

    static func loopback(port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }

    static func bind(_ fd: Int32, port: UInt16) -> Bool {
        var address = loopback(port: port)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }

    static func boundPort(_ fd: Int32) -> UInt16? {
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) == 0 }
        }
        return ok ? UInt16(bigEndian: address.sin_port) : nil
    }
}

extension LoopbackSocket {
    /// A one-shot HTTP server: accepts one connection, keeps the raw request,
    /// answers `response` with status 200 and closes.
    final class OneShot: @unchecked Sendable {
        let fd: Int32
        let port: UInt16
        private let lock = NSLock()
        private var captured: [UInt8]?
        private let done = DispatchSemaphore(value: 0)

        init?(response: String) {
            fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { return nil }
            guard LoopbackSocket.bind(fd, port: 0), listen(fd, 4) == 0, let port = LoopbackSocket.boundPort(fd) else {
                close(fd)
                return nil
            }
            self.port = port
            let listening = fd
            Thread.detachNewThread { [self] in
                let connection = accept(listening, nil, nil)
                guard connection >= 0 else { done.signal(); return }
                defer { close(connection) }
                var request: [UInt8] = []
                var buffer = [UInt8](repeating: 0, count: 4096)
                while !OneShot.complete(request) {
                    let n = buffer.withUnsafeMutableBytes { read(connection, $0.baseAddress, $0.count) }
                    if n <= 0 { break }
                    request.append(contentsOf: buffer[0..<n])
                }
                let reply = "HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: \(response.utf8.count)\r\nConnection: close\r\n\r\n\(response)"
                _ = Array(reply.utf8).withUnsafeBytes { write(connection, $0.baseAddress, $0.count) }
                lock.lock(); captured = request; lock.unlock()
                done.signal()
            }
        }

        deinit { close(fd) }

        var endpoint: URL { URL(string: "http://127.0.0.1:\(port)")! }

        /// The raw request, once served (waits up to `timeout`).
        func request(timeout: TimeInterval = 10) -> [UInt8]? {
            guard done.wait(timeout: .now() + timeout) == .success else { return nil }
            lock.lock(); defer { lock.unlock() }
            return captured
        }

        /// Whether `bytes` holds the head and the Content-Length body.
        static func complete(_ bytes: [UInt8]) -> Bool {
            let text = String(decoding: bytes, as: UTF8.self)
            guard let end = text.range(of: "\r\n\r\n") else { return false }
            let head = text[..<end.lowerBound].lowercased()
            let length = head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
                .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
            return bytes.count - text[..<end.upperBound].utf8.count >= length
        }
    }
}
