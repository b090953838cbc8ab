import ClinloadCore
import ClinloadPostgres
import Foundation

/// Loads clinical event rows (encounters, diagnoses, observations...) into one
/// clinical table: binary COPY into an unindexed temporary staging table with
/// text columns, then an INSERT ... SELECT with casts in the batch transaction, a
/// chunk at a time.
/// Rows are keyed by (batch_id, source_ordinal, item): a file loads once, so
/// event tables are append-only per batch (README, "Event feeds").
///
/// Staging columns: surrogate_id (absent for reference data), source_ordinal,
/// item, then `c_<column>` text for each planned column.
public final class RowTableStage {
    public let connection: PostgresConnection
    public let table: (schema: String, table: String)
    public let columns: [String]
    public let hasSubject: Bool
    let stagingName: String
    private let types: [String]
    /// Binary COPY rows waiting for `flush` (one chunk of records at most).
    public private(set) var pending: [UInt8] = []
    public private(set) var pendingRows = 0

    public var tableName: String { "\(table.schema).\(table.table)" }

    /// Checks the table has the fixed and planned columns.
    public init(connection: PostgresConnection, table: (String, String), columns: [String], hasSubject: Bool, stagingName: String) throws {
        self.connection = connection
        self.table = table
        self.columns = columns
        self.hasSubject = hasSubject
        self.stagingName = stagingName
        let known = try VaultLoader.columnTypes(connection, table)
        let fixed = (hasSubject ? ["surrogate_id"] : []) + ["batch_id", "source_ordinal", "item"]
        for column in fixed + columns where known[column] == nil {
            throw VaultLoader.mismatch("\(table.0).\(table.1)", column, "missing_column")
        }
        types = columns.map { known[$0]! }
    }

    public func createStaging() throws {
        let fixed = (hasSubject ? ["surrogate_id uuid"] : []) + ["source_ordinal bigint", "item integer"]
        try connection.execute("""
            CREATE TEMP TABLE \(stagingName) (\((fixed + columns.map { "c_\($0) text" }).joined(separator: ", "))) ON COMMIT DROP
            """)
    }

    /// Starts a row in the pending buffer; the caller appends `columns.count` values.
    public func beginRow(surrogate: UUID?, ordinal: Int, item: Int) {
        if pending.isEmpty { pending += BinaryCopyEncoder.header }
        BinaryCopyEncoder.beginRow(fieldCount: (hasSubject ? 1 : 0) + 2 + columns.count, into: &pending)
        if hasSubject, let surrogate { BinaryCopyEncoder.appendUUID(surrogate, into: &pending) }
        BinaryCopyEncoder.appendInt64(Int64(ordinal), into: &pending)
        BinaryCopyEncoder.appendInt32(Int32(clamping: item), into: &pending)
        pendingRows += 1
    }

    /// Gives the row buffer to `body` to append the values of the row just begun.
    public func appendValues(_ body: (inout [UInt8]) throws -> Void) rethrows {
        try body(&pending)
    }

    /// Sends the pending rows to the staging table without waiting
    /// (`PostgresConnection.sendCopy`: one more sent statement, the rows copied).
    public func flush() throws {
        guard pendingRows > 0 else { return }
        pending += BinaryCopyEncoder.trailer
        try connection.sendCopy("COPY \(stagingName) FROM STDIN (FORMAT binary)", data: pending)
        pending = []
        pendingRows = 0
    }

    /// Moves one staged chunk into the table, as SQL to send without waiting (the
    /// caller reads the next chunk meanwhile): the INSERT (its row count is the rows
    /// moved), then an empty staging table. The id is a UUID this process formatted.
    public func chunkMergeSQL(batchId: UUID) -> String {
        insertSQL(batch: "'\(batchId.uuidString)'::uuid") + ";\nTRUNCATE \(stagingName)"
    }

    /// A rejected batch takes back the rows its chunks moved.
    public func withdraw(batchId: UUID) throws {
        try connection.withdrawBatchRows(batchId: batchId, table: tableName)
    }

    private func insertSQL(batch: String) -> String {
        let fixed = (hasSubject ? ["surrogate_id"] : []) + ["batch_id", "source_ordinal", "item"]
        let selected = (hasSubject ? ["surrogate_id"] : []) + [batch, "source_ordinal", "item"]
        let casts = zip(columns, types).map { "c_\($0)::\($1)" }
        return """
            INSERT INTO \(tableName) (\((fixed + columns).joined(separator: ", ")))
            SELECT \((selected + casts).joined(separator: ", ")) FROM \(stagingName)
            """
    }
}
