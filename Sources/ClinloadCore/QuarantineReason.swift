/// Why a record was set aside: machine-readable, and never the offending value.
public struct QuarantineReason: Sendable, Equatable, Hashable, Codable {
    /// The source field the rule failed on (a column name or an element path).
    public var field: String
    /// The rule that failed (`required`, `type`, `pattern`, `enum`, `max_length`, `unique`...).
    public var rule: String
    /// The input line the problem was found on, when it differs from the
    /// record's own line (an element deep inside an XML message).
    public var line: Int?

    public init(field: String, rule: String, line: Int? = nil) {
        self.field = field
        self.rule = rule
        self.line = line
    }
}
