import ClinloadCore

/// A PostgreSQL failure, reduced to what may be shown anywhere: the SQLSTATE and
/// the names of the objects involved. The server's message and DETAIL text are
/// never kept — they quote the values that broke a constraint ("Key (ssn)=(...)").
public struct PostgresError: Error, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// The connection could not be made or was lost.
        case connection
        /// The server rejected a statement.
        case statement
        /// The COPY protocol failed.
        case copy
    }

    public var kind: Kind
    public var sqlstate: String?
    public var schema: String?
    public var table: String?
    public var column: String?
    public var constraint: String?
    /// For connection failures only: libpq's text, which names hosts and sockets,
    /// never row data.
    public var connectionMessage: String?

    public var description: String {
        var parts = ["postgres \(kind.rawValue) error"]
        if let sqlstate { parts.append("sqlstate=\(sqlstate)") }
        if let schema { parts.append("schema=\(schema)") }
        if let table { parts.append("table=\(table)") }
        if let column { parts.append("column=\(column)") }
        if let constraint { parts.append("constraint=\(constraint)") }
        if let connectionMessage { parts.append(connectionMessage) }
        return parts.joined(separator: " ")
    }

    /// SQLSTATEs clinload reacts to.
    public enum SQLState {
        public static let uniqueViolation = "23505"
        public static let foreignKeyViolation = "23503"
        public static let lockNotAvailable = "55P03"
        public static let adminShutdown = "57P01"
        public static let crashShutdown = "57P02"
        public static let cannotConnectNow = "57P03"
        public static let insufficientPrivilege = "42501"
        public static let undefinedTable = "42P01"
        public static let undefinedColumn = "42703"
        public static let raiseException = "P0001"
        public static let queryCanceled = "57014"
    }

    /// Connection-class errors (08xxx) and shutdowns mean "unavailable", not "bug".
    public var isUnavailable: Bool {
        kind == .connection || (sqlstate?.hasPrefix("08") ?? false) || sqlstate == SQLState.adminShutdown
            || sqlstate == SQLState.crashShutdown || sqlstate == SQLState.cannotConnectNow
    }

    public var clinloadError: ClinloadError {
        var attributes: [(String, String)] = []
        if let sqlstate { attributes.append(("sqlstate", sqlstate)) }
        if let schema { attributes.append(("schema", schema)) }
        if let table { attributes.append(("table", table)) }
        if let column { attributes.append(("column", column)) }
        if let constraint { attributes.append(("constraint", constraint)) }
        if let connectionMessage { attributes.append(("libpq", connectionMessage)) }
        if isUnavailable {
            return ClinloadError(.databaseUnavailable, stage: .database, "the database is not reachable", attributes: attributes)
        }
        if sqlstate?.hasPrefix("53") ?? false {
            return ClinloadError(.databaseOutOfResources, stage: .database,
                                 "the database server is out of disk space, memory or connections (SQLSTATE class 53; 53100 is a full disk): nothing of this batch is visible; fix that, then run again",
                                 attributes: attributes)
        }
        return ClinloadError(.databaseError, stage: .database, "the database refused a statement", attributes: attributes)
    }
}
