import CLibPQ
#if canImport(Glibc)
import Glibc
#endif

/// Statements and COPYs sent to the server to run in order while the caller
/// works: libpq's non-blocking mode, advanced by `pump` (never waits) and
/// finished by `finish` (waits). A batch hands one chunk's COPYs and merge over,
/// then reads and encrypts the next chunk while the server loads this one.
///
/// A COPY's data is handed to libpq a slice at a time, and only while libpq's
/// own buffer is empty, so memory stays at the caller's chunk plus one slice;
/// the caller must pump often (every few dozen records) to keep the socket,
/// and so the server, fed.
///
/// After the first failure nothing further is sent (the transaction is aborted
/// anyway); the failure is thrown by `pump` or `finish`.
final class SentWork {
    private enum Item {
        case statements(String)
        case query(String, [PostgresParameter])
        case copy(String, [UInt8])
    }

    private enum Phase {
        case idle
        /// Waiting for results (of statements, of a COPY's start or of its end).
        case results
        /// The COPY started; `offset` bytes of its data are handed to libpq.
        case copyData(offset: Int)
    }

    private var items: [Item] = []
    private var next = 0
    private var phase = Phase.idle
    /// The data of the COPY in progress.
    private var copyData: [UInt8] = []
    /// Rows affected per statement (a COPY counts as one), in order.
    private var counts: [Int] = []
    /// The results of `query` items, in order.
    private var rows: [PostgresResult] = []
    /// Whether the item whose results are being read is a `query`.
    private var keepingRows = false
    private var failure: Error?
    private static let slice = 1 << 20

    var isActive: Bool {
        if case .idle = phase { return next < items.count }
        return true
    }

    /// Whether anything is left for `finish`: work, results or a failure.
    var hasPending: Bool { isActive || !counts.isEmpty || !rows.isEmpty || failure != nil }

    func appendStatements(_ sql: String) { items.append(.statements(sql)) }
    func appendQuery(_ sql: String, _ parameters: [PostgresParameter]) { items.append(.query(sql, parameters)) }
    func appendCopy(_ sql: String, data: [UInt8]) { items.append(.copy(sql, data)) }

    /// Advances without waiting; true once everything has run. `check` turns a
    /// result into rows or throws its (value-free) error. A failed statement is
    /// thrown once everything sent has been read, unless `reportingFailure` is
    /// false: then it waits for the next pump or `finish`.
    func pump(_ conn: OpaquePointer, check: (OpaquePointer?) throws -> PostgresResult, reportingFailure: Bool = true) throws -> Bool {
        if PQisnonblocking(conn) == 0, PQsetnonblocking(conn, 1) != 0 { throw Self.lost(conn, "PQsetnonblocking failed") }
        while true {
            switch phase {
            case .idle:
                guard next < items.count else {
                    if reportingFailure { try throwFailure(conn) }
                    return try settle(conn)
                }
                let item = items[next]
                next += 1
                keepingRows = false
                switch item {
                case .statements(let sql):
                    guard PQsendQuery(conn, sql) == 1 else { throw Self.lost(conn, "PQsendQuery failed") }
                case .query(let sql, let parameters):
                    let sent = PostgresParameter.withLibpqArrays(parameters) { count, types, values, lengths, formats in
                        PQsendQueryParams(conn, sql, count, types, values, lengths, formats, 0)
                    }
                    guard sent == 1 else { throw Self.lost(conn, "PQsendQueryParams failed") }
                    keepingRows = true
                case .copy(let sql, let data):
                    guard PQsendQuery(conn, sql) == 1 else { throw Self.lost(conn, "PQsendQuery failed") }
                    copyData = data
                }
                phase = .results
            case .copyData(let offset):
                // Hand over the next slice only once libpq has sent the last one.
                let pending = PQflush(conn)
                if pending < 0 { throw Self.lost(conn, "PQflush failed") }
                if pending > 0 { return false }
                if offset < copyData.count {
                    let end = min(offset + Self.slice, copyData.count)
                    let rc = copyData.withUnsafeBytes { raw in
                        PQputCopyData(conn, raw.baseAddress!.advanced(by: offset).assumingMemoryBound(to: CChar.self), Int32(end - offset))
                    }
                    if rc < 0 { throw Self.lost(conn, "PQputCopyData failed") }
                    if rc == 1 { phase = .copyData(offset: end) }
                    if rc == 0 { return false }
                } else {
                    let rc = PQputCopyEnd(conn, nil)
                    if rc < 0 { throw Self.lost(conn, "PQputCopyEnd failed") }
                    if rc == 0 { return false }
                    copyData = []
                    phase = .results
                }
            case .results:
                if PQflush(conn) < 0 { throw Self.lost(conn, "PQflush failed") }
                if PQconsumeInput(conn) == 0 { throw Self.lost(conn, "PQconsumeInput failed") }
                while PQisBusy(conn) == 0 {
                    guard let result = PQgetResult(conn) else {
                        phase = .idle
                        break
                    }
                    if PQresultStatus(result) == PGRES_COPY_IN {
                        PQclear(result)
                        phase = .copyData(offset: 0)
                        break
                    }
                    do {
                        let checked = try check(result)
                        counts.append(checked.affectedRows)
                        if keepingRows { rows.append(checked) }
                    } catch {
                        if failure == nil { failure = error }
                        next = items.count   // send nothing more: the transaction is aborted
                    }
                }
                if case .results = phase { return false }
            }
        }
    }

    /// Waits until everything has run; returns the results and forgets them.
    func finish(_ conn: OpaquePointer, check: (OpaquePointer?) throws -> PostgresResult) throws -> (counts: [Int], rows: [PostgresResult]) {
        while try !pump(conn, check: check) {
            var writing = false
            if case .copyData = phase { writing = true }
            try wait(conn, writing: writing)
        }
        defer { reset() }
        return (counts, rows)
    }

    /// Drops whatever has not run (a transaction being rolled back): ends a COPY
    /// in progress and reads every remaining result, so the connection can take
    /// the ROLLBACK.
    func abandon(_ conn: OpaquePointer) {
        defer { reset() }
        let running: Bool
        if case .idle = phase { running = false } else { running = true }
        if case .copyData = phase { _ = PQputCopyEnd(conn, "abandoned by clinload") }
        _ = PQsetnonblocking(conn, 0)
        guard running else { return }
        while let result = PQgetResult(conn) {
            let copying = PQresultStatus(result) == PGRES_COPY_IN
            PQclear(result)
            if copying { _ = PQputCopyEnd(conn, "abandoned by clinload") }
        }
    }

    private func reset() {
        items = []
        next = 0
        phase = .idle
        copyData = []
        counts = []
        rows = []
        keepingRows = false
        failure = nil
    }

    /// Every result has been read by now: the connection is idle, back in
    /// blocking mode for the ROLLBACK and whatever the caller does next.
    private func throwFailure(_ conn: OpaquePointer) throws {
        guard let failure else { return }
        reset()
        _ = PQsetnonblocking(conn, 0)
        throw failure
    }

    /// Back to blocking mode once libpq's output is sent (the synchronous calls
    /// expect it); true when done.
    private func settle(_ conn: OpaquePointer) throws -> Bool {
        let pending = PQflush(conn)
        if pending < 0 { throw Self.lost(conn, "PQflush failed") }
        if pending > 0 { return false }
        if PQsetnonblocking(conn, 0) != 0 { throw Self.lost(conn, "PQsetnonblocking failed") }
        return true
    }

    /// Sleeps until the socket can be read, or written while output is pending
    /// (or COPY data is being handed over).
    private func wait(_ conn: OpaquePointer, writing: Bool) throws {
        var descriptor = pollfd(fd: PQsocket(conn), events: Int16(POLLIN), revents: 0)
        if writing || PQflush(conn) > 0 { descriptor.events |= Int16(POLLOUT) }
        while poll(&descriptor, 1, -1) < 0 {
            guard errno == EINTR else { throw Self.lost(conn, "poll failed") }
        }
    }

    private static func lost(_ conn: OpaquePointer, _ what: String) -> PostgresError {
        let lost = PQstatus(conn) != CONNECTION_OK
        return PostgresError(kind: lost ? .connection : .copy, connectionMessage: lost ? "connection lost" : what)
    }
}
