/// A `schema.table` name as written in a pipeline; both parts are plain SQL
/// identifiers (checked when decoded, so they can be quoted safely into SQL).
public struct QualifiedTable: Sendable, Hashable, Codable, CustomStringConvertible {
    public var schema: String
    public var table: String

    public init(schema: String, table: String) {
        self.schema = schema
        self.table = table
    }

    public init?(_ text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2, parts.allSatisfy(QualifiedTable.isPlainIdentifier) else { return nil }
        self.init(schema: parts[0], table: parts[1])
    }

    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let parsed = QualifiedTable(text) else {
            throw DecodingError.dataCorrupted(.init(
                codingPath: decoder.codingPath, debugDescription: "expected schema.table with plain identifiers"))
        }
        self = parsed
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }

    public var description: String { "\(schema).\(table)" }

    /// Lower-case letters, digits and underscores, not starting with a digit:
    /// safe to use as a PostgreSQL identifier without quoting surprises.
    public static func isPlainIdentifier(_ s: String) -> Bool {
        guard let first = s.utf8.first, !(first >= 0x30 && first <= 0x39), s.utf8.count <= 63 else { return false }
        return s.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x5F }
    }
}
