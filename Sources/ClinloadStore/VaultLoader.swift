import ClinloadCore
import ClinloadCrypto
import ClinloadPostgres
import Foundation

/// Moves one batch's rows into an identity (vault) table and a clinical table,
/// a chunk at a time, in the batch's transaction, every row by COPY with no
/// staging table:
/// - a new patient's vault row (ciphertext only, nothing to convert) by binary
///   COPY into the vault table (`identityCopyStatement`);
/// - a new patient's clinical row by text COPY into the clinical table
///   (`clinicalCopyStatement`), so the server's input functions convert each
///   value to its column's type;
/// - a known patient's whole row by binary COPY into the deferred updates
///   (`deferredCopyStatement`), applied once the batch is accepted.
/// A patient CSV quarantines repeats of a patient as it reads them; an XML feed
/// defers them too, and the latest of each patient wins.
///
/// Until 2026-11 every row went through an unindexed temporary staging table,
/// moved on by an INSERT ... SELECT per chunk, then a TRUNCATE. Vault rows going
/// straight in took a sixth off the server's CPU for a patient file (the rows are
/// 1.2 KB; staging wrote, read and re-formed each one); clinical rows and
/// deferred rows followed, which left no staging at all. It pays only with the
/// COPYs sent without waiting (`PostgresConnection.sendCopy`): streamed, the
/// client was held to the server's pace, and a 200,000-row load was no faster.
///
/// Deferred-update columns: surrogate_id, blind_index, source_ordinal,
/// source_line, then `i_<column>` (bytea ciphertext) for each vault column and
/// `c_<column>` (text, cast when applied) for each clinical column. All names
/// were checked to be plain identifiers.
public struct VaultLoader {
    public let connection: PostgresConnection
    public let plan: Plan
    /// surrogate_id, blind_index, source_ordinal, source_line.
    public static let fixedDeferredColumns = 4

    public struct Plan: Sendable {
        public var identityTable: (schema: String, table: String)
        public var identityColumns: [String]
        public var clinicalTable: (schema: String, table: String)
        public var clinicalColumns: [String]

        public init(identityTable: (String, String), identityColumns: [String], clinicalTable: (String, String), clinicalColumns: [String]) {
            self.identityTable = identityTable
            self.identityColumns = identityColumns
            self.clinicalTable = clinicalTable
            self.clinicalColumns = clinicalColumns
        }

        public var identityName: String { "\(identityTable.schema).\(identityTable.table)" }
        public var clinicalName: String { "\(clinicalTable.schema).\(clinicalTable.table)" }
    }

    /// SQL types of the clinical columns, used to cast deferred rows' text.
    private var clinicalTypes: [String]

    /// Checks that the target tables have every planned column with a usable type.
    public init(connection: PostgresConnection, plan: Plan) throws {
        self.connection = connection
        self.plan = plan
        let identityTypes = try Self.columnTypes(connection, plan.identityTable)
        for column in ["surrogate_id", "blind_index", "data_key_id", "batch_id", "source_ordinal"] + plan.identityColumns {
            guard identityTypes[column] != nil else { throw Self.mismatch(plan.identityName, column, "missing_column") }
        }
        for column in plan.identityColumns where identityTypes[column] != "bytea" {
            throw Self.mismatch(plan.identityName, column, "vault_column_not_bytea")
        }
        let types = try Self.columnTypes(connection, plan.clinicalTable)
        for column in ["surrogate_id", "batch_id", "source_ordinal"] + plan.clinicalColumns where types[column] == nil {
            throw Self.mismatch(plan.clinicalName, column, "missing_column")
        }
        clinicalTypes = plan.clinicalColumns.map { types[$0]! }
    }

    /// Call once per session, outside any transaction, before the first batch:
    /// the deferred updates are a temporary table, in per-session buffers (8MB
    /// by default). The setting can only change before the session's first
    /// temporary table.
    public static func prepareSession(_ connection: PostgresConnection) {
        _ = try? connection.execute("SET temp_buffers = '32MB'")
        // Dates without a time zone (Synthea's YYYY-MM-DD) are read as UTC, the
        // same rule the timestamp derivation applies, whatever the server's default.
        _ = try? connection.execute("SET TimeZone = 'UTC'")
    }

    /// New patients' vault rows, in the order `RecordSplitter.appendIdentityRow` writes.
    public var identityCopyStatement: String {
        let columns = ["surrogate_id", "blind_index", "data_key_id", "batch_id", "source_ordinal"] + plan.identityColumns
        return "COPY \(plan.identityName) (\(columns.joined(separator: ", "))) FROM STDIN (FORMAT binary)"
    }

    /// New patients' clinical rows (text COPY), in the order
    /// `RecordSplitter.appendClinicalRow` writes.
    public var clinicalCopyStatement: String {
        let columns = ["surrogate_id", "batch_id", "source_ordinal"] + plan.clinicalColumns
        return "COPY \(plan.clinicalName) (\(columns.joined(separator: ", "))) FROM STDIN"
    }

    /// Known patients' rows, in the order `RecordSplitter.appendDeferredRow` writes.
    public var deferredCopyStatement: String { "COPY \(Self.deferred) FROM STDIN (FORMAT binary)" }

    // MARK: chunked merging

    static let deferred = "clinload_known"

    /// The table where rows of patients already in the vault wait for the end of
    /// the batch: their UPDATEs change committed rows, so they run only once the
    /// batch is known not to be rejected (new rows can simply be withdrawn).
    /// Indexed by blind index for the look-ups, which find repeats among them.
    public func createDeferredUpdates() throws {
        let identity = plan.identityColumns.map { "i_\($0) bytea" }
        let clinical = plan.clinicalColumns.map { "c_\($0) text" }
        let columns = ["surrogate_id uuid", "blind_index bytea", "source_ordinal bigint", "source_line bigint"] + identity + clinical
        try connection.execute("""
            CREATE TEMP TABLE \(Self.deferred) (\(columns.joined(separator: ", "))) ON COMMIT DROP;
            CREATE INDEX ON \(Self.deferred) (blind_index)
            """)
    }

    /// For each blind index already in the vault: its surrogate, and whether this
    /// batch has it already (inserted by an earlier chunk, or waiting as an update):
    /// then the record repeats a patient of this file.
    public func subjects(blindIndexes: [[UInt8]], batchId: UUID) throws -> [BlindIndexKey: (surrogate: UUID, inThisBatch: Bool)] {
        guard !blindIndexes.isEmpty else { return [:] }
        let rows = try VaultLookup.byIndex(connection) {
            try connection.query(subjectsSQL, subjectsParameters(blindIndexes, batchId))
        }
        return Self.subjects(in: rows)
    }

    /// `subjects` sent without waiting, behind whatever was sent before it (a
    /// previous chunk's rows, which it must see): its rows are the first of
    /// `collectSentResults()`, for `subjects(in:)`. Three sent statements.
    public func sendSubjectsLookup(blindIndexes: [[UInt8]], batchId: UUID) throws {
        try VaultLookup.sendByIndex(connection, subjectsSQL, subjectsParameters(blindIndexes, batchId))
    }

    /// A look-up's rows, as `subjects` returns them.
    public static func subjects(in rows: PostgresResult) -> [BlindIndexKey: (surrogate: UUID, inThisBatch: Bool)] {
        var out: [BlindIndexKey: (UUID, Bool)] = [:]
        out.reserveCapacity(rows.rowCount)
        for r in 0..<rows.rowCount {
            if let key = rows.bytes(r, 0).flatMap(BlindIndexKey.init), let id = rows.uuid(r, 1) { out[key] = (id, rows.string(r, 2) == "t") }
        }
        return out
    }

    private var subjectsSQL: String {
        """
        SELECT p.blind_index, p.surrogate_id::text,
               p.batch_id = $2::uuid OR EXISTS (SELECT 1 FROM \(Self.deferred) d WHERE d.blind_index = p.blind_index)
        FROM \(plan.identityName) p WHERE p.blind_index = ANY($1::bytea[])
        """
    }

    private func subjectsParameters(_ blindIndexes: [[UInt8]], _ batchId: UUID) -> [PostgresParameter] {
        [.byteaArray(blindIndexes), .text(batchId.uuidString)]
    }

    /// At the end of an accepted batch: the deferred rows update their patients
    /// with the new batch's ciphertexts, key and clinical values.
    ///
    /// Each deferred row finds its patient through the primary key, one probe
    /// each, so the cost grows with the updates, not with the vault. Left to
    /// itself the planner hashed the whole vault instead (a sequential scan of
    /// 1.2 GB at 1,000,000 patients, spilling to disk, every night): 100,000
    /// updates into a vault of 1,000,000 took 7.3–7.9 s that way, 6.5 s this way.
    public func applyDeferredUpdates(batchId: UUID, dataKeyId: UUID) throws -> (identityRows: Int, clinicalRows: Int) {
        try connection.execute("SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off")
        defer { _ = try? connection.execute("SET LOCAL enable_hashjoin TO DEFAULT; SET LOCAL enable_mergejoin TO DEFAULT") }
        let identity = try connection.query("""
            UPDATE \(plan.identityName) AS t SET blind_index = s.blind_index, data_key_id = $1::uuid, batch_id = $2::uuid,
                source_ordinal = s.source_ordinal\(plan.identityColumns.map { ", \($0) = s.i_\($0)" }.joined())
            FROM \(Self.deferred) s WHERE t.surrogate_id = s.surrogate_id
            """, [.text(dataKeyId.uuidString), .text(batchId.uuidString)]).affectedRows
        let clinical = try connection.query("""
            UPDATE \(plan.clinicalName) AS t SET batch_id = $1::uuid,
                source_ordinal = s.source_ordinal\(clinicalCasts.map { ", \($0.column) = s.c_\($0.column)::\($0.type)" }.joined())
            FROM \(Self.deferred) s WHERE t.surrogate_id = s.surrogate_id
            """, [.text(batchId.uuidString)]).affectedRows
        return (identity, clinical)
    }

    /// A rejected batch takes back the new patients its chunks inserted (known
    /// patients were never updated).
    public func withdrawInserted(batchId: UUID) throws {
        try connection.withdrawBatchRows(batchId: batchId, table: plan.clinicalName)
        try connection.withdrawBatchRows(batchId: batchId, table: plan.identityName)
    }

    /// Keeps only the latest deferred row per patient (`on_repeat: latest`): an
    /// admission then an update in one file leave the update in the vault. All
    /// of a patient's rows carry the same surrogate, so any is a valid vault row.
    /// Returns the rows dropped.
    public func collapseDeferredRepeats() throws -> Int {
        try connection.query("""
            DELETE FROM \(Self.deferred) d USING (
                SELECT ctid AS row_ref, row_number() OVER (PARTITION BY blind_index ORDER BY source_ordinal DESC) AS rank
                FROM \(Self.deferred)
            ) r WHERE d.ctid = r.row_ref AND r.rank > 1
            """).affectedRows
    }

    private var clinicalCasts: [(column: String, type: String)] {
        zip(plan.clinicalColumns, clinicalTypes).map { (column: $0, type: $1) }
    }

    /// Serialises batches that write the same vault table (transaction-scoped),
    /// so surrogate look-ups stay true until this batch commits.
    public func lockTargets() throws {
        try connection.query("SELECT pg_advisory_xact_lock(hashtext($1))", [.text("clinload:target:\(plan.identityName)")])
    }

    // MARK: helpers

    static func columnTypes(_ connection: PostgresConnection, _ table: (schema: String, table: String)) throws -> [String: String] {
        let rows = try connection.query("""
            SELECT a.attname, format_type(a.atttypid, a.atttypmod)
            FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = $1 AND c.relname = $2 AND a.attnum > 0 AND NOT a.attisdropped
            """, [.text(table.schema), .text(table.table)])
        guard rows.rowCount > 0 else {
            throw mismatch("\(table.schema).\(table.table)", nil, "missing_table")
        }
        var out: [String: String] = [:]
        for r in 0..<rows.rowCount { out[rows.string(r, 0)!] = rows.string(r, 1)! }
        return out
    }

    static func mismatch(_ table: String, _ column: String?, _ rule: String) -> ClinloadError {
        ClinloadError(.targetMismatch, stage: .configuration, "the pipeline's target does not match the database schema",
                      location: .init(field: column, rule: rule), attributes: [("table", table)])
    }
}
