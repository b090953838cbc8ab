import ClinloadCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Where the generators write: a file created or truncated with mode 0600, since
/// it holds (fake) PHI.
///
/// The mode is forced with `fchmod` as well, because `open`'s mode only applies
/// when the file is created: an existing, more permissive regular file is
/// tightened too. Devices (`/dev/null`, `/dev/stdout`) are left alone — changing
/// their mode would break every other program on the machine.
enum PrivateOutputFile {
    /// Opens `path`, hands `body` a sink for chunks, closes; returns what `body` returned.
    static func write<R>(to path: String, _ body: ((UnsafeRawBufferPointer) throws -> Void) throws -> R) throws -> R {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw failure("cannot create the output file", path) }
        var isOpen = true
        defer { if isOpen { _ = close(fd) } }
        var info = stat()
        let isRegularFile = fstat(fd, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
        guard !isRegularFile || fchmod(fd, 0o600) == 0 else { throw failure("cannot restrict the output file to mode 0600", path) }
        let result = try body { chunk in try writeAll(fd, chunk, path: path) }
        isOpen = false
        guard close(fd) == 0 else { throw failure("cannot close the output file", path) }
        return result
    }

    private static func writeAll(_ fd: Int32, _ chunk: UnsafeRawBufferPointer, path: String) throws {
        guard var address = chunk.baseAddress else { return }
        var remaining = chunk.count
        while remaining > 0 {
            #if canImport(Glibc)
            let n = Glibc.write(fd, address, remaining)
            #elseif canImport(Musl)
            let n = Musl.write(fd, address, remaining)
            #else
            let n = Darwin.write(fd, address, remaining)
            #endif
            if n < 0 {
                if errno == EINTR { continue }
                throw failure("cannot write the output file", path)
            }
            address += n
            remaining -= n
        }
    }

    /// errno is read first, before anything else can change it.
    private static func failure(_ hint: StaticString, _ path: String) -> ClinloadError {
        let code = errno
        return ClinloadError(.outputUnwritable, stage: .cli, hint, attributes: [("path", path), ("errno", String(code))])
    }
}
