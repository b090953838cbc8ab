/// A statement parameter: text (server infers the type), bytes (bytea, sent
/// binary) or NULL. Parameters travel separately from the SQL text, so values
/// never appear in the statement (or in pg_stat_activity's query column).
public enum PostgresParameter: Sendable {
    case text(String)
    case bytes([UInt8])
    case null

    public static func int(_ value: Int) -> PostgresParameter { .text(String(value)) }
}

extension PostgresParameter: ExpressibleByStringLiteral {
    public init(stringLiteral value: String) { self = .text(value) }
}
