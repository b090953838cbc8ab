import ClinloadCore
import ClinloadPostgres
import Foundation

/// Everything recorded about one batch (no values), for lineage and reports.
public struct BatchRecord: Sendable {
    public var batchId: UUID
    public var state: BatchState
    public var pipeline: String
    public var pipelineVersion: Int
    public var pipelineSHA256: String
    public var toolVersion: String
    public var dataKeyId: UUID?
    public var recordsRead: Int?
    public var recordsQuarantined: Int?
    /// Rows written per table, e.g. `identity.patient` → 27.
    public var rowsLoaded: [String: Int]
    public var errorCode: String?
    public var errorStage: String?
    /// UTC ISO 8601 (`2026-11-30T02:59:23.123456Z`).
    public var startedAt: String?
    public var finishedAt: String?
    public var replayOf: UUID?
    public var inputs: [Input]

    public struct Input: Sendable {
        public var path: String
        public var sha256: String
        public var bytes: Int
        public var records: Int?
    }

    /// Reads a batch, or nil if there is none with this id.
    public static func load(_ batchId: UUID, connection: PostgresConnection) throws -> BatchRecord? {
        let iso = "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'"
        let b = try connection.query("""
            SELECT state, pipeline, pipeline_version, pipeline_sha256, tool_version, data_key_id::text, records_read,
                   records_quarantined, rows_loaded::text, error_code, error_stage,
                   to_char(started_at AT TIME ZONE 'UTC', \(iso)), to_char(finished_at AT TIME ZONE 'UTC', \(iso)), replay_of::text
            FROM etl.batches WHERE batch_id = $1::uuid
            """, [.text(batchId.uuidString)])
        guard b.rowCount == 1, let state = b.string(0, 0).flatMap(BatchState.init(rawValue:)) else { return nil }
        var rowsLoaded: [String: Int] = [:]
        if let json = b.string(0, 8), let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Int] {
            rowsLoaded = object
        }
        let i = try connection.query(
            "SELECT path, sha256, bytes, records FROM etl.batch_inputs WHERE batch_id = $1::uuid ORDER BY ordinal",
            [.text(batchId.uuidString)])
        let inputs = (0..<i.rowCount).map { r in
            Input(path: i.string(r, 0)!, sha256: i.string(r, 1)!, bytes: i.int(r, 2) ?? 0, records: i.int(r, 3))
        }
        return BatchRecord(
            batchId: batchId, state: state, pipeline: b.string(0, 1)!, pipelineVersion: b.int(0, 2)!,
            pipelineSHA256: b.string(0, 3)!, toolVersion: b.string(0, 4)!, dataKeyId: b.uuid(0, 5),
            recordsRead: b.int(0, 6), recordsQuarantined: b.int(0, 7), rowsLoaded: rowsLoaded, errorCode: b.string(0, 9),
            errorStage: b.string(0, 10), startedAt: b.string(0, 11), finishedAt: b.string(0, 12),
            replayOf: b.uuid(0, 13), inputs: inputs)
    }
}
