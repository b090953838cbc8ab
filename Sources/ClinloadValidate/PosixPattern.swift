import ClinloadCore
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A schema `pattern`, compiled once with POSIX `regcomp` (extended syntax) and
/// anchored to the whole value.
///
/// POSIX regex rather than Swift `Regex` or `NSRegularExpression`: it runs on every
/// value of a patterned column, and glibc's matcher costs well under a microsecond
/// on short values where the others cost several. `\d` is accepted as `[0-9]`
/// because schema authors write it out of habit.
public final class PosixPattern {
    private var regex = regex_t()
    private var scratch: [CChar] = []
    public let source: String

    public init(_ pattern: String) throws {
        source = pattern
        let translated = "^(" + pattern.replacingOccurrences(of: "\\d", with: "[0-9]") + ")$"
        let rc = regcomp(&regex, translated, REG_EXTENDED | REG_NOSUB)
        guard rc == 0 else {
            throw ClinloadError(.schemaInvalid, stage: .configuration, "a pattern is not a valid POSIX extended regular expression",
                                attributes: [("regcomp", "\(rc)")])
        }
        scratch.reserveCapacity(256)
    }

    deinit { regfree(&regex) }

    /// Whether the whole value matches.
    public func matches(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        // A NUL byte cannot be passed to regexec, and no schema pattern should accept one.
        if bytes.contains(0) { return false }
        scratch.removeAll(keepingCapacity: true)
        for b in bytes { scratch.append(CChar(bitPattern: b)) }
        scratch.append(0)
        return scratch.withUnsafeBufferPointer { regexec(&regex, $0.baseAddress, 0, nil, 0) == 0 }
    }
}
