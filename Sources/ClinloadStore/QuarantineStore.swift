import ClinloadCore
import ClinloadPostgres
import Foundation

/// Writes quarantined records to `etl.quarantine`: reasons in the clear (field and
/// rule names only), the record itself encrypted. Rows are buffered and written
/// in multi-row INSERTs.
public final class QuarantineStore {
    public let connection: PostgresConnection
    public let batchId: UUID
    public let dataKeyId: UUID?
    private var pending: [Row] = []
    public private(set) var written = 0
    static let rowsPerStatement = 500

    public struct Row: Sendable {
        public var inputOrdinal: Int
        public var provenance: RecordProvenance
        public var reasons: [QuarantineReason]
        public var encryptedRecord: [UInt8]?
        /// An operational reference to find the record at its sender (the HL7
        /// message control id), checked to be a plain short token.
        public var sourceRef: String?
        /// Where the record starts in the file, in bytes (XML).
        public var sourceOffset: Int?

        public init(inputOrdinal: Int, provenance: RecordProvenance, reasons: [QuarantineReason], encryptedRecord: [UInt8]?,
                    sourceRef: String? = nil, sourceOffset: Int? = nil) {
            self.inputOrdinal = inputOrdinal
            self.provenance = provenance
            self.reasons = reasons
            self.encryptedRecord = encryptedRecord
            self.sourceRef = sourceRef
            self.sourceOffset = sourceOffset
        }
    }

    public init(connection: PostgresConnection, batchId: UUID, dataKeyId: UUID?) {
        self.connection = connection
        self.batchId = batchId
        self.dataKeyId = dataKeyId
    }

    public func add(_ row: Row) {
        pending.append(row)
    }

    /// Writes buffered rows (call between COPY chunks and at the end).
    public func flush() throws {
        while !pending.isEmpty {
            let slice = pending.prefix(Self.rowsPerStatement)
            var values: [String] = []
            var parameters: [PostgresParameter] = []
            for row in slice {
                let n = parameters.count
                values.append("($\(n + 1)::uuid, $\(n + 2)::int, $\(n + 3)::bigint, $\(n + 4)::bigint, $\(n + 5)::jsonb, $\(n + 6), $\(n + 7)::uuid, $\(n + 8), $\(n + 9)::bigint)")
                let reasons = CanonicalJSON.array(row.reasons.map { reason in
                    var entry: [String: CanonicalJSON] = ["field": .string(reason.field), "rule": .string(reason.rule)]
                    if let line = reason.line { entry["line"] = .int(line) }
                    return .object(entry)
                })
                parameters += [
                    .text(batchId.uuidString), .int(row.inputOrdinal), .int(row.provenance.ordinal), .int(row.provenance.line),
                    .text(reasons.text), row.encryptedRecord.map { .bytes($0) } ?? .null,
                    row.encryptedRecord == nil ? .null : dataKeyId.map { .text($0.uuidString) } ?? .null,
                    row.sourceRef.map { .text($0) } ?? .null, row.sourceOffset.map { .int($0) } ?? .null,
                ]
            }
            try connection.query("""
                INSERT INTO etl.quarantine (batch_id, input_ordinal, source_ordinal, source_line, reasons, payload, data_key_id,
                                            source_ref, source_offset)
                VALUES \(values.joined(separator: ", "))
                """, parameters)
            written += slice.count
            pending.removeFirst(slice.count)
        }
    }

    /// Reason counts for a batch, by (field, rule), with the first line each was
    /// seen on, for summaries.
    public static func reasonCounts(connection: PostgresConnection, batchId: UUID)
        throws -> [(field: String, rule: String, count: Int, firstLine: Int)]
    {
        let rows = try connection.query("""
            SELECT r->>'field', r->>'rule', count(*), min(q.source_line) FROM etl.quarantine q, jsonb_array_elements(q.reasons) r
            WHERE q.batch_id = $1::uuid GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2
            """, [.text(batchId.uuidString)])
        return (0..<rows.rowCount).map { (rows.string($0, 0) ?? "", rows.string($0, 1) ?? "", rows.int($0, 2) ?? 0, rows.int($0, 3) ?? 0) }
    }
}
