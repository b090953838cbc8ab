import ClinloadCore
import ClinloadPostgres
import Foundation

/// Loads clinical event rows (encounters, diagnoses, observations...) and
/// reference-data rows into one clinical table: a chunk of rows at a time, by a
/// text COPY straight into the table, sent without waiting so the server inserts
/// one chunk while the caller reads the next.
///
/// Text, not binary: the values (timestamps, numerics, pseudonym uuids) reach the
/// server as text and its own input functions convert them, exactly as the
/// `::type` casts of an `INSERT ... SELECT` from a staging table did until
/// 2026-11. That staging table cost a heap write, a scan and a TRUNCATE per chunk
/// (the TRUNCATE alone, a file truncation in the kernel, was 9% of the server's
/// time on an HL7 v2 feed) and bought nothing: these tables take appends only,
/// with no look-up or update to prepare.
///
/// Rows are keyed by (batch_id, source_ordinal, item): a file loads once, so
/// event tables are append-only per batch (README, "Event feeds").
public final class RowTableLoader {
    public let connection: PostgresConnection
    public let table: (schema: String, table: String)
    public let columns: [String]
    public let hasSubject: Bool
    private let copyStatement: String
    /// The batch id as text, written into every row.
    private let batchIdText: [UInt8]
    /// Text COPY rows waiting for `flush` (one chunk of records at most).
    public private(set) var pending: [UInt8] = []
    public private(set) var pendingRows = 0

    public var tableName: String { "\(table.schema).\(table.table)" }

    /// Checks the table has the fixed and planned columns, so a pipeline that names
    /// a column the table lacks fails before any row is read.
    public init(connection: PostgresConnection, table: (String, String), columns: [String], hasSubject: Bool, batchId: UUID) throws {
        self.connection = connection
        self.table = table
        self.columns = columns
        self.hasSubject = hasSubject
        let known = try VaultLoader.columnTypes(connection, table)
        let fixed = (hasSubject ? ["surrogate_id"] : []) + ["batch_id", "source_ordinal", "item"]
        for column in fixed + columns where known[column] == nil {
            throw VaultLoader.mismatch("\(table.0).\(table.1)", column, "missing_column")
        }
        copyStatement = "COPY \(table.0).\(table.1) (\((fixed + columns).joined(separator: ", "))) FROM STDIN"
        var text: [UInt8] = []
        TextCopyEncoder.appendUUID(batchId, into: &text)
        batchIdText = text
    }

    /// Adds one row: its key, then the `columns.count` values `values` appends
    /// (in the text COPY format, `TextCopyEncoder`).
    public func appendRow(surrogate: UUID?, ordinal: Int, item: Int, _ values: (inout [UInt8]) throws -> Void) rethrows {
        if hasSubject {
            // NULL, which the table refuses, rather than a row one field short.
            if let surrogate { TextCopyEncoder.appendUUID(surrogate, into: &pending) } else { TextCopyEncoder.appendNull(into: &pending) }
        }
        pending += batchIdText
        TextCopyEncoder.appendInteger(ordinal, into: &pending)
        TextCopyEncoder.appendInteger(item, into: &pending)
        try values(&pending)
        TextCopyEncoder.endRow(into: &pending)
        pendingRows += 1
    }

    /// Adds a row whose patient is still being looked up: its surrogate is a
    /// placeholder until `settleSubjects`. Returns the row's bytes, for that.
    /// A chunk's rows can so be built while the server still loads the previous
    /// chunk and answers the look-up.
    public func appendRowAwaitingSubject(ordinal: Int, item: Int, _ values: (inout [UInt8]) throws -> Void) rethrows -> Range<Int> {
        precondition(hasSubject, "only rows keyed to a patient await one")
        let start = pending.count
        try appendRow(surrogate: Self.placeholder, ordinal: ordinal, item: item, values)
        return start..<pending.count
    }

    /// Gives each row built by `appendRowAwaitingSubject` since the last flush
    /// (`rows`, in the order built) its patient's surrogate, and drops the rows
    /// whose patient the vault does not hold (`nil`).
    public func settleSubjects(_ rows: [Range<Int>], _ surrogates: [UUID?]) {
        precondition(rows.count == pendingRows && rows.count == surrogates.count, "every pending row awaits its subject")
        var text: [UInt8] = []
        text.reserveCapacity(37)
        func write(_ surrogate: UUID, at offset: Int, in buffer: inout [UInt8]) {
            text.removeAll(keepingCapacity: true)
            TextCopyEncoder.appendUUID(surrogate, into: &text)
            buffer.replaceSubrange(offset..<(offset + text.count), with: text)
        }
        if !surrogates.contains(where: { $0 == nil }) {
            for (row, surrogate) in zip(rows, surrogates) { write(surrogate!, at: row.lowerBound, in: &pending) }
            return
        }
        var kept: [UInt8] = []
        kept.reserveCapacity(pending.count)
        var count = 0
        for (row, surrogate) in zip(rows, surrogates) {
            guard let surrogate else { continue }
            let start = kept.count
            kept.append(contentsOf: pending[row])
            write(surrogate, at: start, in: &kept)
            count += 1
        }
        pending = kept
        pendingRows = count
    }

    /// Stands in for a surrogate not known yet: the same length as any.
    private static let placeholder = UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))

    /// Sends the pending rows to the table without waiting
    /// (`PostgresConnection.sendCopy`: one more sent statement, whose count is the
    /// rows inserted).
    public func flush() throws {
        guard pendingRows > 0 else { return }
        try connection.sendCopy(copyStatement, data: pending)
        pending = []
        pendingRows = 0
    }

    /// A rejected batch takes back the rows its chunks inserted.
    public func withdraw(batchId: UUID) throws {
        try connection.withdrawBatchRows(batchId: batchId, table: tableName)
    }
}
