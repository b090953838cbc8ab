import CLibPQ
import ClinloadCore
import Foundation

/// One libpq connection, confined to the task that created it (libpq allows one
/// thread per connection at a time).
public final class PostgresConnection {
    private var handle: OpaquePointer?
    /// Whether `send` left statements running whose results are not yet collected.
    private var sent = false
    /// Row counts of sent statements that another command had to wait for before
    /// the caller asked: kept for its `collectSent`, so no count is ever lost.
    private var unclaimed: [Int] = []

    /// Connects with libpq keyword/value pairs (`PQconnectdbParams`); a `dbname`
    /// holding a `postgresql://` URL is expanded by libpq itself. Never builds a
    /// connection string by concatenation.
    public init(parameters: [(String, String)]) throws {
        var all = parameters
        if !all.contains(where: { $0.0 == "application_name" }) { all.append(("application_name", "clinload")) }
        all.append(("client_encoding", "UTF8"))
        let keys = all.map { strdup($0.0) }
        let values = all.map { strdup($0.1) }
        defer {
            keys.forEach { free($0) }
            values.forEach { free($0) }
        }
        var keyPointers: [UnsafePointer<CChar>?] = keys.map { UnsafePointer($0) } + [nil]
        var valuePointers: [UnsafePointer<CChar>?] = values.map { UnsafePointer($0) } + [nil]
        let conn = PQconnectdbParams(&keyPointers, &valuePointers, 1)
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
    /// reads the next. `collectSent()` waits for the results. Any other command
    /// collects them first, and throws their error if one failed (so a failure can
    /// never go unseen until a COMMIT quietly rolls back); only a transaction's
    /// ROLLBACK discards them.
    public func send(_ sql: String) throws {
        let conn = try conn
        try settleSent()
        guard PQsendQuery(conn, sql) == 1 else {
            let lost = PQstatus(conn) != CONNECTION_OK
            throw PostgresError(kind: .connection, connectionMessage: lost ? "connection lost" : "PQsendQuery failed")
        }
        sent = true
    }

    /// Waits for what `send` started; returns the rows each statement affected
    /// (in order, including any another command already waited for). The first
    /// failing statement's error is thrown (the server skips the rest).
    @discardableResult
    public func collectSent() throws -> [Int] {
        try settleSent()
        defer { unclaimed = [] }
        return unclaimed
    }

    /// Waits for sent statements, keeping their row counts for `collectSent`.
    private func settleSent() throws {
        let conn = try conn
        guard sent else { return }
        sent = false
        var failure: Error?
        while let result = PQgetResult(conn) {
            if failure == nil {
                do { unclaimed.append(try check(result).affectedRows) } catch { failure = error }
            } else {
                PQclear(result)
            }
        }
        if let failure { throw failure }
    }

    private func discardSent() {
        unclaimed = []
        guard sent, let handle else { return }
        sent = false
        drainResults(handle)
    }

    /// Runs one statement with out-of-line parameters.
    @discardableResult
    public func query(_ sql: String, _ parameters: [PostgresParameter] = []) throws -> PostgresResult {
        let conn = try conn
        try settleSent()
        var types: [Oid] = []
        var formats: [Int32] = []
        var lengths: [Int32] = []
        var buffers: [UnsafeMutablePointer<CChar>?] = []
        defer { buffers.forEach { free($0) } }
        for parameter in parameters {
            switch parameter {
            case .text(let s):
                types.append(0)
                formats.append(0)
                lengths.append(0)
                buffers.append(strdup(s))
            case .bytes(let b):
                types.append(17) // bytea
                formats.append(1)
                lengths.append(Int32(b.count))
                let p = UnsafeMutablePointer<CChar>.allocate(capacity: max(b.count, 1))
                b.withUnsafeBytes { raw in
                    if raw.count > 0 { UnsafeMutableRawPointer(p).copyMemory(from: raw.baseAddress!, byteCount: raw.count) }
                }
                buffers.append(p)
            case .null:
                types.append(0)
                formats.append(0)
                lengths.append(0)
                buffers.append(nil)
            }
        }
        let result: OpaquePointer? = buffers.withUnsafeBufferPointer { values in
            values.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: values.count) { valuePointers in
                PQexecParams(conn, sql, Int32(parameters.count), types, valuePointers, lengths, formats, 0)
            }
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
