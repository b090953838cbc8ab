import ClinloadCore
import ClinloadPostgres
import Foundation

/// The batch records in `etl.batches` / `etl.batch_inputs`: what ran, on which
/// bytes, with what outcome. Only codes, counts, hashes and paths are stored.
public struct BatchLedger {
    public let connection: PostgresConnection

    public init(connection: PostgresConnection) { self.connection = connection }

    public struct Registration: Sendable {
        public var batchId: UUID
        public var pipeline: String
        public var pipelineVersion: Int
        public var pipelineSHA256: String
        public var idempotencyKey: String
        public var input: Input
        /// The failed batch this one re-runs.
        public var replayOf: UUID?

        public init(batchId: UUID, pipeline: String, pipelineVersion: Int, pipelineSHA256: String, idempotencyKey: String, input: Input,
                    replayOf: UUID? = nil) {
            self.batchId = batchId
            self.pipeline = pipeline
            self.pipelineVersion = pipelineVersion
            self.pipelineSHA256 = pipelineSHA256
            self.idempotencyKey = idempotencyKey
            self.input = input
            self.replayOf = replayOf
        }
    }

    public struct Input: Sendable {
        public var path: String
        public var sha256: String
        public var bytes: Int

        public init(path: String, sha256: String, bytes: Int) {
            self.path = path
            self.sha256 = sha256
            self.bytes = bytes
        }
    }

    /// The loaded batches of this pipeline on these input bytes, under any
    /// definition of the pipeline, with the definition hash each ran with.
    public func loadedBatches(pipeline: String, inputSHA256: String) throws -> [(batchId: UUID, pipelineSHA256: String)] {
        let rows = try connection.query("""
            SELECT b.batch_id::text, b.pipeline_sha256
            FROM etl.batch_inputs i JOIN etl.batches b ON b.batch_id = i.batch_id
            WHERE i.sha256 = $2 AND i.ordinal = 1 AND b.pipeline = $1 AND b.state = 'loaded'
            ORDER BY b.finished_at
            """, [.text(pipeline), .text(inputSHA256)])
        return (0..<rows.rowCount).compactMap { r in
            rows.uuid(r, 0).map { ($0, rows.string(r, 1)!) }
        }
    }

    /// `replacement` (running, same pipeline, same input bytes) supersedes the
    /// loaded batch `earlier`: its rows in per-batch tables are deleted and it
    /// becomes `superseded` (caller's transaction). Returns the rows removed per
    /// table. The checks and the DELETEs run in `etl.supersede_batch`, as the
    /// loader role may not delete rows itself.
    public func supersede(_ earlier: UUID, by replacement: UUID) throws -> [String: Int] {
        let rows = try connection.query("""
            SELECT r.key, r.value::bigint FROM jsonb_each_text(etl.supersede_batch($1::uuid, $2::uuid)) AS r
            """, [.text(earlier.uuidString), .text(replacement.uuidString)])
        var removed: [String: Int] = [:]
        for r in 0..<rows.rowCount { removed[rows.string(r, 0)!] = rows.int(r, 1) ?? 0 }
        return removed
    }

    /// The definition hash the pipeline's most recent batch ran with.
    public func lastDefinitionHash(pipeline: String) throws -> String? {
        let rows = try connection.query(
            "SELECT pipeline_sha256 FROM etl.batches WHERE pipeline = $1 ORDER BY registered_at DESC LIMIT 1", [.text(pipeline)])
        return rows.rowCount == 1 ? rows.string(0, 0) : nil
    }

    /// What a replay needs to know about a recorded batch.
    public struct Recorded: Sendable {
        public var batchId: UUID
        public var state: BatchState
        public var pipeline: String
        public var pipelineSHA256: String
        public var idempotencyKey: String
        public var inputPath: String
        public var inputSHA256: String
    }

    public func recorded(_ batchId: UUID) throws -> Recorded? {
        let rows = try connection.query("""
            SELECT b.state, b.pipeline, b.pipeline_sha256, b.idempotency_key, i.path, i.sha256
            FROM etl.batches b JOIN etl.batch_inputs i ON i.batch_id = b.batch_id AND i.ordinal = 1
            WHERE b.batch_id = $1::uuid
            """, [.text(batchId.uuidString)])
        guard rows.rowCount == 1, let state = rows.string(0, 0).flatMap(BatchState.init(rawValue:)) else { return nil }
        return Recorded(batchId: batchId, state: state, pipeline: rows.string(0, 1)!, pipelineSHA256: rows.string(0, 2)!,
                        idempotencyKey: rows.string(0, 3)!, inputPath: rows.string(0, 4)!, inputSHA256: rows.string(0, 5)!)
    }

    /// Batches recorded as running, with their pipeline and input hash (what
    /// their advisory lock is taken on).
    public func runningBatches() throws -> [(batchId: UUID, pipeline: String, inputSHA256: String)] {
        let rows = try connection.query("""
            SELECT b.batch_id::text, b.pipeline, i.sha256
            FROM etl.batches b JOIN etl.batch_inputs i ON i.batch_id = b.batch_id AND i.ordinal = 1
            WHERE b.state = 'running'
            """)
        return (0..<rows.rowCount).compactMap { r in
            rows.uuid(r, 0).map { ($0, rows.string(r, 1)!, rows.string(r, 2)!) }
        }
    }

    /// Records a batch as running, with its input (caller's transaction).
    public func register(_ r: Registration) throws {
        try connection.query("""
            INSERT INTO etl.batches (batch_id, pipeline, pipeline_version, pipeline_sha256, idempotency_key, state,
                                     tool_version, started_at, replay_of)
            VALUES ($1::uuid, $2, $3, $4, $5, 'running', $6, clock_timestamp(), $7::uuid)
            """, [.text(r.batchId.uuidString), .text(r.pipeline), .int(r.pipelineVersion), .text(r.pipelineSHA256),
                  .text(r.idempotencyKey), .text(ToolVersion.current), r.replayOf.map { .text($0.uuidString) } ?? .null])
        try connection.query("""
            INSERT INTO etl.batch_inputs (batch_id, ordinal, path, sha256, bytes) VALUES ($1::uuid, 1, $2, $3, $4)
            """, [.text(r.batchId.uuidString), .text(r.input.path), .text(r.input.sha256), .int(r.input.bytes)])
    }

    public func attachDataKey(batchId: UUID, keyId: UUID) throws {
        try connection.query("UPDATE etl.batches SET data_key_id = $2::uuid WHERE batch_id = $1::uuid",
                             [.text(batchId.uuidString), .text(keyId.uuidString)])
    }

    /// Records the end of a running batch — the state the lifecycle gives for
    /// `event` — with its counts and (for failures) the error code and stage, never
    /// an error message from a library. Only a running batch can end, once: the
    /// UPDATE matches `state = 'running'` and anything else is refused.
    public func finish(batchId: UUID, event: BatchState.Event, counts: BatchCounts?, error: ClinloadError? = nil) throws {
        guard let state = BatchState.running.after(event), state.isTerminal else {
            throw ClinloadError(.internalError, stage: .commit, "a batch can only end from running")
        }
        var rowsLoaded: String?
        if let counts {
            rowsLoaded = CanonicalJSON.object(counts.rowsLoaded.mapValues { .int($0) }).text
        }
        let detail = error.map { e -> String in
            var members: [String: CanonicalJSON] = [:]
            if let field = e.location.field { members["field"] = .string(field) }
            if let line = e.location.line { members["line"] = .int(line) }
            if let rule = e.location.rule { members["rule"] = .string(rule) }
            for (k, v) in e.attributes { members[k] = .string(v) }
            return CanonicalJSON.object(members).text
        }
        let updated = try connection.query("""
            UPDATE etl.batches SET state = $2, records_read = $3, records_quarantined = $4, rows_loaded = $5::jsonb,
                   error_code = $6, error_stage = $7, error_detail = $8::jsonb, timings = $9::jsonb, finished_at = clock_timestamp()
            WHERE batch_id = $1::uuid AND state = 'running'
            """, [.text(batchId.uuidString), .text(state.rawValue),
                  counts.map { .int($0.recordsRead) } ?? .null, counts.map { .int($0.recordsQuarantined) } ?? .null,
                  rowsLoaded.map { .text($0) } ?? .null,
                  error.map { .text($0.code.rawValue) } ?? .null, error.map { .text($0.stage.rawValue) } ?? .null,
                  detail.map { .text($0) } ?? .null,
                  counts.flatMap { $0.stageMilliseconds.isEmpty ? nil : .text(CanonicalJSON.object($0.stageMilliseconds.mapValues { .int($0) }).text) } ?? .null])
        guard updated.affectedRows == 1 else {
            throw ClinloadError(.internalError, stage: .commit, "the batch is not running (it has already ended)",
                                attributes: [("batch_id", batchId.uuidString.lowercased())])
        }
        if let counts {
            try connection.query("UPDATE etl.batch_inputs SET records = $2 WHERE batch_id = $1::uuid AND ordinal = 1",
                                 [.text(batchId.uuidString), .int(counts.recordsRead)])
        }
    }
}

/// What a batch did, in counts. `recordsRead == loaded + quarantined` always.
public struct BatchCounts: Sendable, Equatable {
    public var recordsRead: Int
    public var recordsQuarantined: Int
    /// Rows written per target table (`identity.patient` → n).
    public var rowsLoaded: [String: Int]
    /// Milliseconds spent per stage (`stage`, `deduplicate`, `merge`).
    public var stageMilliseconds: [String: Int] = [:]

    public init(recordsRead: Int = 0, recordsQuarantined: Int = 0, rowsLoaded: [String: Int] = [:]) {
        self.recordsRead = recordsRead
        self.recordsQuarantined = recordsQuarantined
        self.rowsLoaded = rowsLoaded
    }

    public var recordsLoaded: Int { recordsRead - recordsQuarantined }
}
