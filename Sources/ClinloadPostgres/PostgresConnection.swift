import CLibPQ
import ClinloadCore
import Foundation

/// One libpq connection, confined to the task that created it (libpq allows one
/// thread per connection at a time).
public final class PostgresConnection {
    private var handle: OpaquePointer?
    /// What `send` and `sendCopy` handed over and `collectSent` has not collected.
    private let sent = SentWork()
    /// Results of sent work that another command had to wait for before the
    /// caller asked: kept for its `collectSent`, so no count is ever lost.
    private var unclaimed: (counts: [Int], rows: [PostgresResult]) = ([], [])

    /// Connects with libpq keyword/value pairs (`PQconnectdbParams`); a `dbname`
    /// holding a `postgresql://` URL is expanded by libpq itself. Never builds a
    /// connection string by concatenation.
    public init(parameters: [(String, String)]) throws {
        var all = parameters
        if !all.contains(where: { $0.0 == "application_name" }) { all.append(("application_name", "clinload")) }
        all.append(("client_encoding", "UTF8"))
        let conn = Self.withKeywords(all) { PQconnectdbParams($0, $1, 1) }
        guard let conn, PQstatus(conn) == CONNECTION_OK else {
            let message = conn.map { String(cString: PQerrorMessage($0)) } ?? "out of memory"
            if let conn { PQfinish(conn) }
            throw PostgresError(kind: .connection, connectionMessage: Self.oneLine(message))
        }
        handle = conn
        // libpq prints NOTICE/WARNING text to stderr by default; such text can quote
        // values, so it is dropped (clinload raises no notices it needs).
        PQsetNoticeReceiver(conn, { _, _ in }, nil)
    }

    /// What a server answers before any login (`PQpingParams`, as `pg_isready`).
    public enum Readiness: Sendable, Equatable {
        /// It accepts connections.
        case accepting
        /// It is up but turns connections away: starting, recovering after a
        /// crash, or shutting down.
        case rejecting
        /// Nothing answered.
        case noResponse
    }

    /// Asks the server at `parameters` whether it accepts connections, without
    /// logging in.
    public static func readiness(parameters: [(String, String)]) -> Readiness {
        switch withKeywords(parameters, { PQpingParams($0, $1, 0) }) {
        case PQPING_OK: return .accepting
        case PQPING_REJECT: return .rejecting
        default: return .noResponse
        }
    }

    /// libpq's keyword and value arrays (NULL-terminated C strings) for `body`.
    private static func withKeywords<R>(
        _ parameters: [(String, String)],
        _ body: (UnsafePointer<UnsafePointer<CChar>?>, UnsafePointer<UnsafePointer<CChar>?>) -> R
    ) -> R {
        let keys = parameters.map { strdup($0.0) }
        let values = parameters.map { strdup($0.1) }
        defer {
            keys.forEach { free($0) }
            values.forEach { free($0) }
        }
        let keyPointers: [UnsafePointer<CChar>?] = keys.map { UnsafePointer($0) } + [nil]
        let valuePointers: [UnsafePointer<CChar>?] = values.map { UnsafePointer($0) } + [nil]
        return keyPointers.withUnsafeBufferPointer { k in
            valuePointers.withUnsafeBufferPointer { v in body(k.baseAddress!, v.baseAddress!) }
        }
    }

    /// Connects to a `postgresql://` URL or a libpq `key=value` string.
    public convenience init(url: String) throws {
        try self.init(parameters: [("dbname", url)])
    }

    deinit { close() }

    /// The server host as libpq resolved it (a socket folder starts with "/").
    public var host: String { handle.flatMap { PQhost($0) }.map { String(cString: $0) } ?? "" }

    /// A handle another thread may use to cancel the running statement.
    public func makeCanceller() -> PostgresCanceller? { handle.flatMap(PostgresCanceller.init(connection:)) }

    /// Whether this connection is encrypted with TLS.
    public var usesTLS: Bool { handle.map { PQsslInUse($0) == 1 } ?? false }

    public func close() {
        if let handle { PQfinish(handle) }
        handle = nil
    }

    private var conn: OpaquePointer {
        get throws {
            guard let handle else { throw PostgresError(kind: .connection, connectionMessage: "connection closed") }
            return handle
        }
    }

    /// Runs SQL without parameters (may hold several statements: migrations, DDL).
    @discardableResult
    public func execute(_ sql: String) throws -> PostgresResult {
        let conn = try conn
        try settleSent()
        let result = PQexec(conn, sql)
        return try check(result)
    }

    /// Starts SQL (one or more statements, no parameters) and returns at once, so
    /// the caller can work while the server does: a batch merges one chunk while it
    /// reads the next. Several sends run in order. `collectSent()` waits for the
    /// results. Any other command collects them first, and throws their error if
    /// one failed (so a failure can never go unseen until a COMMIT quietly rolls
    /// back); only a transaction's ROLLBACK discards them.
    public func send(_ sql: String) throws {
        let conn = try conn
        sent.appendStatements(sql)
        _ = try sent.pump(conn, check: check, reportingFailure: false)
    }

    /// Like `send`, for `COPY ... FROM STDIN` with all its data (a binary COPY's
    /// header, rows and trailer): the data goes to the server as `pumpSent` and
    /// `collectSent` let it. Counts as one statement: the rows copied.
    public func sendCopy(_ sql: String, data: [UInt8]) throws {
        let conn = try conn
        sent.appendCopy(sql, data: data)
        _ = try sent.pump(conn, check: check, reportingFailure: false)
    }

    /// Like `send`, for one statement with out-of-line parameters whose rows the
    /// caller wants: `collectSentResults` hands them over.
    public func sendQuery(_ sql: String, _ parameters: [PostgresParameter] = []) throws {
        let conn = try conn
        sent.appendQuery(sql, parameters)
        _ = try sent.pump(conn, check: check, reportingFailure: false)
    }

    /// Moves sent work on without waiting: call often while working (every few
    /// dozen records), or the server waits for COPY data. Throws the first error
    /// of sent work once it is known.
    public func pumpSent() throws {
        guard sent.isActive else { return }
        _ = try sent.pump(try conn, check: check)
    }

    /// Waits for what `send` and `sendCopy` started; returns the rows each
    /// statement affected (in order, including any another command already waited
    /// for). The first failing statement's error is thrown (nothing after it runs).
    @discardableResult
    public func collectSent() throws -> [Int] {
        try collectSentResults().counts
    }

    /// `collectSent`, with the results of each `sendQuery` in order.
    public func collectSentResults() throws -> (counts: [Int], rows: [PostgresResult]) {
        try settleSent()
        defer { unclaimed = ([], []) }
        return unclaimed
    }

    /// Waits for sent work, keeping its results for `collectSent`.
    private func settleSent() throws {
        guard sent.hasPending else { return }
        let finished = try sent.finish(try conn, check: check)
        unclaimed.counts += finished.counts
        unclaimed.rows += finished.rows
    }

    private func discardSent() {
        unclaimed = ([], [])
        guard let handle else { return }
        sent.abandon(handle)
    }

    /// Runs one statement with out-of-line parameters.
    @discardableResult
    public func query(_ sql: String, _ parameters: [PostgresParameter] = []) throws -> PostgresResult {
        let conn = try conn
        try settleSent()
        let result = PostgresParameter.withLibpqArrays(parameters) { count, types, values, lengths, formats in
            PQexecParams(conn, sql, count, types, values, lengths, formats, 0)
        }
        return try check(result)
    }

    /// Runs `body` in a transaction: COMMIT if it returns, ROLLBACK if it throws.
    public func transaction<R>(_ body: () throws -> R) throws -> R {
        try execute("BEGIN")
        do {
            let value = try body()
            try execute("COMMIT")
            return value
        } catch {
            discardSent()   // the error being handled came first; theirs no longer matters
            _ = try? execute("ROLLBACK")
            throw error
        }
    }

    /// Streams rows into `COPY ... FROM STDIN`; `body` writes them through the
    /// writer. Returns the number of rows the server reports.
    @discardableResult
    public func copyIn(_ sql: String, _ body: (CopyInWriter) throws -> Void) throws -> Int {
        let conn = try conn
        try settleSent()
        guard let start = PQexec(conn, sql) else { throw PostgresError(kind: .copy) }
        guard PQresultStatus(start) == PGRES_COPY_IN else {
            _ = try check(start)
            throw PostgresError(kind: .copy)
        }
        PQclear(start)
        let writer = CopyInWriter(conn: conn)
        do {
            try body(writer)
            try writer.flush()
        } catch {
            PQputCopyEnd(conn, "aborted by clinload")
            drainResults(conn)
            throw error
        }
        guard PQputCopyEnd(conn, nil) == 1 else {
            drainResults(conn)
            let lost = PQstatus(conn) != CONNECTION_OK
            throw PostgresError(kind: lost ? .connection : .copy, connectionMessage: lost ? "connection lost" : "PQputCopyEnd failed")
        }
        var rows = 0
        var failure: Error?
        while let result = PQgetResult(conn) {
            if PQresultStatus(result) == PGRES_COMMAND_OK {
                rows = Int(String(cString: PQcmdTuples(result))) ?? 0
                PQclear(result)
            } else if failure == nil {
                do { _ = try check(result) } catch { failure = error }
            } else {
                PQclear(result)
            }
        }
        if let failure { throw failure }
        return rows
    }

    private func drainResults(_ conn: OpaquePointer) {
        while let r = PQgetResult(conn) { PQclear(r) }
    }

    /// Turns a result into rows or a value-free error.
    private func check(_ result: OpaquePointer?) throws -> PostgresResult {
        guard let result else {
            throw PostgresError(kind: .connection, connectionMessage: handle.map { Self.oneLine(String(cString: PQerrorMessage($0))) })
        }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY:
            return PostgresResult(result)
        default:
            func field(_ code: Int32) -> String? {
                PQresultErrorField(result, code).map { String(cString: $0) }
            }
            let error = PostgresError(
                kind: .statement,
                sqlstate: field(clinload_pg_diag_sqlstate()),
                schema: field(clinload_pg_diag_schema_name()),
                table: field(clinload_pg_diag_table_name()),
                column: field(clinload_pg_diag_column_name()),
                constraint: field(clinload_pg_diag_constraint_name()))
            // An error without a SQLSTATE is libpq's own. One found while *sending*
            // ("server closed the connection unexpectedly" on a write to a dead
            // server) leaves the status OK until libpq next reads: read now, so a
            // lost connection is reported as unavailable, not as a refused statement.
            if error.sqlstate == nil, let handle, PQstatus(handle) == CONNECTION_OK { _ = PQconsumeInput(handle) }
            let lost = handle.map { PQstatus($0) != CONNECTION_OK } ?? true
            PQclear(result)
            if lost && error.sqlstate == nil {
                throw PostgresError(kind: .connection, connectionMessage: "connection lost")
            }
            throw error
        }
    }

    static func oneLine(_ s: String) -> String {
        s.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
    }
}
