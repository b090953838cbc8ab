import ClinloadCore
import ClinloadCrypto
import Foundation

/// Writes one extract file: RFC 4180 CSV in UTF-8, created 0600 under a
/// temporary name (the caller renames it into place once the release gate has
/// passed), with the SHA-256 of what was written.
///
/// Values that a spreadsheet would run as a formula (starting with = + - @, tab
/// or carriage return) get a leading apostrophe — except plain numbers such as
/// `-4.5`, which no spreadsheet runs and which analysts need intact.
final class ExtractCSVWriter {
    let path: String
    private let handle: FileHandle
    private var buffer: [UInt8] = []
    private let digest = SHA256Digest()
    private(set) var rows = 0
    private(set) var bytes = 0

    init(path: String, header: [String]) throws {
        self.path = path
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw ClinloadError(.outputUnwritable, stage: .load, "cannot create an extract file (is the output folder writable?)",
                                attributes: [("path", path), ("errno", "\(errno)")])
        }
        handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        append(header, countsAsRow: false)
    }

    func write(_ values: [String?]) throws {
        append(values, countsAsRow: true)
        if buffer.count >= 1 << 16 { try flush() }
    }

    private func append(_ values: [String?], countsAsRow: Bool) {
        for (i, value) in values.enumerated() {
            if i > 0 { buffer.append(UInt8(ascii: ",")) }
            guard let value else { continue }
            var text = value
            if Self.needsNeutralising(text) { text = "'" + text }
            // Bytes, not Characters: "\r\n" is one Character in Swift and equals neither "\r" nor "\n".
            if text.utf8.contains(where: { $0 == 0x2C || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D }) {
                buffer.append(UInt8(ascii: "\""))
                buffer += Array(text.replacingOccurrences(of: "\"", with: "\"\"").utf8)
                buffer.append(UInt8(ascii: "\""))
            } else {
                buffer += Array(text.utf8)
            }
        }
        buffer += [0x0D, 0x0A]   // RFC 4180 line ends
        if countsAsRow { rows += 1 }
    }

    static func needsNeutralising(_ value: String) -> Bool {
        guard let first = value.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first) else { return false }
        return Double(value) == nil || value.contains(where: { $0.isLetter })
    }

    func flush() throws {
        guard !buffer.isEmpty else { return }
        digest.update(buffer)
        bytes += buffer.count
        do {
            try handle.write(contentsOf: Data(buffer))
        } catch {
            throw ClinloadError(.outputUnwritable, stage: .load, "cannot write an extract file (is the disk full?); nothing was released",
                                attributes: [("path", path), ("errno", Self.errnoText(error))])
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// The POSIX error behind a FileHandle failure (28: ENOSPC, the disk is full), as
    /// a number: the operator's clue, with nothing of the data in it.
    static func errnoText(_ error: Error) -> String {
        let ns = error as NSError
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain { return "\(underlying.code)" }
        return ns.domain == NSPOSIXErrorDomain ? "\(ns.code)" : "unknown"
    }

    /// Flushes, syncs and closes; returns the file's SHA-256 (hex).
    func finish() throws -> String {
        try flush()
        do {
            try handle.synchronize()
            try handle.close()
        } catch {
            throw ClinloadError(.outputUnwritable, stage: .load, "cannot complete an extract file (is the disk full?); nothing was released",
                                attributes: [("path", path), ("errno", Self.errnoText(error))])
        }
        return digest.finish().hexString
    }
}
