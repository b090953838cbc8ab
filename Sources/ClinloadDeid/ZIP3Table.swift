import ClinloadCrypto
import Foundation

/// The three-digit ZIP prefixes that Safe Harbor replaces with `000` (geographic
/// units of 20,000 or fewer people), as versioned data: published lists differ, so
/// an extract names the table it used and records the SHA-256 of its bytes.
///
/// A table is the file `zip3-<name>.txt` in a folder (the repository ships
/// `schemas/deid/`): a `# source:` header naming where the list comes from, then
/// one three-digit prefix per line; `#` lines and blank lines are comments.
/// Anything else, a repeated prefix, or an empty list refuses the table.
public struct ZIP3Table: Sendable, Hashable {
    /// The table extracts use unless their spec names another.
    public static let defaultName = "hhs-2000"

    /// The table's name (`hhs-2000`, `ms-sample`...).
    public let name: String
    /// Lower-case hex SHA-256 of the file's bytes, as loaded.
    public let digest: String
    /// The `# source:` header text.
    public let source: String
    /// The restricted prefixes.
    public let restrictedPrefixes: Set<String>

    /// Loads `zip3-<name>.txt` from `directory`.
    public static func load(named name: String = defaultName, from directory: String) throws(DeidConfigurationError) -> ZIP3Table {
        guard isValidName(name) else { throw .invalidTableName(name) }
        let path = URL(fileURLWithPath: directory).appendingPathComponent(fileName(for: name)).path
        guard let data = FileManager.default.contents(atPath: path) else { throw .tableUnreadable(path: path) }
        return try ZIP3Table(name: name, contents: [UInt8](data), path: path)
    }

    /// The file name a table of this name has.
    public static func fileName(for name: String) -> String { "zip3-\(name).txt" }

    /// A table from bytes already read; `path` only names them in errors.
    public init(name: String, contents: [UInt8], path: String? = nil) throws(DeidConfigurationError) {
        guard ZIP3Table.isValidName(name) else { throw .invalidTableName(name) }
        let shownPath = path ?? ZIP3Table.fileName(for: name)
        var prefixes = Set<String>()
        var source: String?
        // Split on LF bytes (a String would read CR LF as one character).
        for (index, rawLine) in contents.split(separator: 0x0A, omittingEmptySubsequences: false).enumerated() {
            let line = String(decoding: rawLine, as: UTF8.self).trimmingASCIIWhitespace()
            if line.isEmpty { continue }
            if line.hasPrefix("#") {
                let comment = String(line.dropFirst()).trimmingASCIIWhitespace()
                if source == nil, comment.hasPrefix("source:") {
                    source = String(comment.dropFirst("source:".count)).trimmingASCIIWhitespace()
                }
                continue
            }
            guard line.utf8.count == 3, line.utf8.allSatisfy({ (0x30...0x39).contains($0) }),
                  prefixes.insert(line).inserted
            else { throw .tableMalformed(path: shownPath, line: index + 1) }
        }
        guard let source, !source.isEmpty else { throw .tableSourceMissing(path: shownPath) }
        guard !prefixes.isEmpty else { throw .tableEmpty(path: shownPath) }
        self.name = name
        self.source = source
        self.restrictedPrefixes = prefixes
        self.digest = SHA256Digest.hash(contents).hexString
    }

    /// Whether `prefix` (three digits) is on the list.
    public func isRestricted(_ prefix: String) -> Bool { restrictedPrefixes.contains(prefix) }

    static func isValidName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard let first = bytes.first, bytes.count <= 64 else { return false }
        func alnum(_ b: UInt8) -> Bool { (0x30...0x39).contains(b) || (0x61...0x7A).contains(b) }
        return alnum(first) && bytes.allSatisfy { alnum($0) || $0 == 0x2D }
    }
}
