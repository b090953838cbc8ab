import Foundation

/// A small tmpfs mounted for one test, to run out of disk space for real (ENOSPC
/// from the kernel, not a simulated write error). Needs CAP_SYS_ADMIN, which CI
/// has (it runs as root); where mounting is not permitted the tests that need it
/// are disabled, and say so.
struct TmpfsMount {
    let path: URL

    /// Whether this process may mount a tmpfs (tried once, on a scratch folder).
    static let isAvailable: Bool = {
        guard let probe = try? TmpfsMount(megabytes: 1) else { return false }
        probe.unmount()
        return true
    }()

    init(megabytes: Int) throws {
        path = URL(fileURLWithPath: "/tmp/clinload-tmpfs-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: path, withIntermediateDirectories: true)
        guard Glibc.mount("tmpfs", path.path, "tmpfs", 0, "size=\(megabytes)m,mode=0755") == 0 else {
            let code = errno
            try? FileManager.default.removeItem(at: path)
            throw POSIXError(POSIXErrorCode(rawValue: code) ?? .EPERM)
        }
    }

    /// Grows (or shrinks) the file system in place: "the operator freed space".
    func resize(megabytes: Int) throws {
        guard Glibc.mount("tmpfs", path.path, "tmpfs", UInt(MS_REMOUNT), "size=\(megabytes)m") == 0 else {
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EPERM)
        }
    }

    func unmount() {
        _ = umount2(path.path, Int32(MNT_DETACH))
        try? FileManager.default.removeItem(at: path)
    }
}
