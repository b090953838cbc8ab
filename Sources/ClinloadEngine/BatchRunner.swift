import ClinloadCore
import ClinloadCrypto
import ClinloadDefinitions
import ClinloadExtract
import ClinloadKeys
import ClinloadPostgres
import ClinloadStore
import ClinloadValidate
import ClinloadXML
import Foundation
import Logging

/// Runs batches: one input file through extract → validate → transform → protect
/// → load → commit, atomically and at most once.
///
/// Per file: fingerprint it; take a session advisory lock on its idempotency key
/// (a second process on the same file waits, then finds it loaded); register the
/// batch (committed, so a crash leaves a visible `running` batch); then do all the
/// work in one transaction that ends by recording the outcome and its audit entry.
/// A failure rolls that transaction back, so nothing partial is ever visible, and
/// the batch is marked failed with its error code and stage.
public final class BatchRunner {
    public let connection: PostgresConnection
    public let keyRing: KeyRing
    public var logger: Logger
    /// Records validated, looked up, encrypted and merged together (bounds memory;
    /// large enough that per-chunk statements cost little).
    public var chunkSize = 8192
    /// Called after every chunk with (bytes read, file size, records read): for a
    /// progress bar. Counts only, never data.
    public var progress: ((_ bytesRead: Int, _ totalBytes: Int, _ records: Int) -> Void)?
    /// Set by a signal handler: the running batch rolls back at its next chunk (or
    /// as soon as its cancelled statement returns) and is recorded as cancelled.
    public var cancellation: CancellationFlag?
    private var cachedBlindIndexKey: KeyRing.DataKey?
    /// Compiled XSDs by path: compiling CDA's schema set takes a noticeable
    /// fraction of a second, and a drop folder holds many documents.
    var compiledSchemas: [String: XMLSchema] = [:]
    let random = RandomPool()

    public init(connection: PostgresConnection, keyProvider: KeyProvider, logger: Logger) {
        self.connection = connection
        keyRing = KeyRing(connection: connection, provider: keyProvider)
        self.logger = logger
        VaultLoader.prepareSession(connection)
    }

    /// Loads one file with one pipeline. Never throws: every ending is an outcome.
    /// `replayOf` links the new batch to the failed batch it re-runs.
    ///
    /// A file loads once per pipeline: bytes an earlier batch of the pipeline
    /// loaded are skipped, under this definition or an earlier one (a changed
    /// definition, even a comment, must not load every file of a drop folder a
    /// second time). With `reload`, bytes an *earlier* definition loaded load
    /// again as a new batch that supersedes the earlier one: its per-batch rows
    /// are taken away in the same transaction, so the file's rows are there once,
    /// as this definition makes them. Bytes this definition loaded stay skipped,
    /// so an interrupted `run --all --reload` picks up where it stopped.
    public func run(pipeline: LoadedPipeline, file path: String, replayOf: UUID? = nil, reload: Bool = false) -> BatchOutcome {
        let clock = ContinuousClock()
        let started = clock.now
        var outcome = runUntimed(pipeline: pipeline, file: path, replayOf: replayOf, reload: reload)
        outcome.seconds = Self.seconds(clock.now - started)
        return outcome
    }

    static func milliseconds(_ d: Duration) -> Int {
        Int(d.components.seconds * 1000 + d.components.attoseconds / 1_000_000_000_000_000)
    }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    private func runUntimed(pipeline: LoadedPipeline, file path: String, replayOf: UUID?, reload: Bool) -> BatchOutcome {
        var outcome = BatchOutcome(status: .failed, batchId: nil, pipeline: pipeline.name, input: nil, path: path,
                                   counts: BatchCounts(), error: nil, seconds: 0, reasons: [])
        do {
            if let unavailable = pipeline.unavailable { throw unavailable }
            let input = try InputFile.fingerprint(path)
            outcome.input = input
            let pipelineSHA = pipeline.definitionSHA256
            let key = IdempotencyKey(pipeline: pipeline.name, pipelineSHA256: pipelineSHA, inputSHA256: input.sha256)
            let lockKey = IdempotencyKey.lockKey(pipeline: pipeline.name, inputSHA256: input.sha256)
            try connection.query("SELECT pg_advisory_lock($1)", [.int(lockKey)])
            defer { _ = try? connection.query("SELECT pg_advisory_unlock($1)", [.int(lockKey)]) }

            let ledger = BatchLedger(connection: connection)
            let earlier = try ledger.loadedBatches(pipeline: pipeline.name, inputSHA256: input.sha256)
            let underThisDefinition = earlier.last(where: { $0.pipelineSHA256 == pipelineSHA })
            if let loaded = underThisDefinition ?? (reload ? nil : earlier.last) {
                outcome.status = .alreadyLoaded
                outcome.batchId = loaded.batchId
                outcome.loadedUnderEarlierDefinition = underThisDefinition == nil
                var metadata: Logger.Metadata = ["batch_id": "\(loaded.batchId.uuidString.lowercased())", "pipeline": "\(pipeline.name)",
                                                 "input_sha256": "\(input.sha256)"]
                if outcome.loadedUnderEarlierDefinition {
                    metadata["loaded_under_sha256"] = "\(loaded.pipelineSHA256)"
                    logger.notice("already loaded under an earlier pipeline definition; `run --reload` loads it again and supersedes that batch",
                                  metadata: metadata)
                } else {
                    logger.info("already loaded", metadata: metadata)
                }
                return outcome
            }
            let batchId = UUID()
            outcome.batchId = batchId
            try connection.transaction {
                try auditDefinitionChange(pipeline: pipeline, sha256: pipelineSHA, ledger: ledger)
                try ledger.register(.init(batchId: batchId, pipeline: pipeline.name, pipelineVersion: pipeline.definition.version,
                                          pipelineSHA256: pipelineSHA, idempotencyKey: key.text,
                                          input: .init(path: path, sha256: input.sha256, bytes: input.bytes), replayOf: replayOf))
                var details: [String: CanonicalJSON] = [
                    "pipeline": .string(pipeline.name), "pipeline_version": .int(pipeline.definition.version),
                    "pipeline_sha256": .string(pipelineSHA), "input_sha256": .string(input.sha256), "input_bytes": .int(input.bytes),
                ]
                if let replayOf { details["replay_of"] = .string(replayOf.uuidString.lowercased()) }
                try AuditLog(connection: connection).append(event: replayOf == nil ? "batch_started" : "batch_replayed",
                                                            batchId: batchId, details: details)
            }
            logger.info("batch started", metadata: ["batch_id": "\(batchId.uuidString.lowercased())", "pipeline": "\(pipeline.name)",
                                                    "input_sha256": "\(input.sha256)", "input_bytes": "\(input.bytes)"])
            do {
                let blindIndexKey = try blindIndexKey()
                var counts = BatchCounts()
                let superseding = earlier.map(\.batchId)
                let status = try connection.transaction {
                    try load(pipeline: pipeline, input: input, batchId: batchId, blindIndexKey: blindIndexKey,
                             superseding: superseding, counts: &counts)
                }
                if status == .loaded {
                    outcome.superseded = superseding
                    for earlier in superseding {
                        logger.notice("earlier batch of the same input superseded", metadata: [
                            "batch_id": "\(earlier.uuidString.lowercased())", "superseded_by": "\(batchId.uuidString.lowercased())",
                        ])
                    }
                }
                outcome.status = status
                outcome.counts = counts
                outcome.reasons = try reasonTallies(batchId)
                logger.info(status == .loaded ? "batch loaded" : "batch rejected", metadata: [
                    "batch_id": "\(batchId.uuidString.lowercased())", "records_read": "\(counts.recordsRead)",
                    "records_quarantined": "\(counts.recordsQuarantined)",
                ])
            } catch {
                let failure = cancellation?.isCancelled == true ? Self.cancelled : Self.clinloadError(error)
                outcome.status = .failed
                outcome.error = failure
                try? connection.transaction {
                    try ledger.finish(batchId: batchId, event: .fail, counts: nil, error: failure)
                    try AuditLog(connection: connection).append(event: "batch_failed", batchId: batchId, details: [
                        "code": .string(failure.code.rawValue), "stage": .string(failure.stage.rawValue),
                    ])
                }
                logger.error("batch failed", metadata: ["batch_id": "\(batchId.uuidString.lowercased())", "code": "\(failure.code.rawValue)",
                                                        "stage": "\(failure.stage.rawValue)", "error": "\(failure)"])
            }
        } catch {
            let failure = Self.clinloadError(error)
            outcome.status = .failed
            outcome.error = failure
            logger.error("batch not started", metadata: ["code": "\(failure.code.rawValue)", "error": "\(failure)"])
        }
        return outcome
    }

    /// Records a configuration change: the pipeline's definition hash differs from
    /// the one its previous batch ran with.
    private func auditDefinitionChange(pipeline: LoadedPipeline, sha256: String, ledger: BatchLedger) throws {
        guard let previous = try ledger.lastDefinitionHash(pipeline: pipeline.name), previous != sha256 else { return }
        try AuditLog(connection: connection).append(event: "pipeline_definition_changed", details: [
            "pipeline": .string(pipeline.name), "pipeline_version": .int(pipeline.definition.version),
            "previous_sha256": .string(previous), "sha256": .string(sha256),
        ])
        logger.notice("pipeline definition changed", metadata: ["pipeline": "\(pipeline.name)", "sha256": "\(sha256)"])
    }

    /// Marks batches whose process died (`running`, yet nobody holds their lock) as
    /// failed with code `interrupted`, so they show up for replay. Their data was
    /// never committed: the work transaction died with the process.
    @discardableResult
    public func recoverInterruptedBatches() throws -> [UUID] {
        let ledger = BatchLedger(connection: connection)
        var recovered: [UUID] = []
        for (batchId, pipeline, inputSHA256) in try ledger.runningBatches() {
            let lockKey = IdempotencyKey.lockKey(pipeline: pipeline, inputSHA256: inputSHA256)
            guard try connection.query("SELECT pg_try_advisory_lock($1)", [.int(lockKey)]).string(0, 0) == "t" else { continue }
            defer { _ = try? connection.query("SELECT pg_advisory_unlock($1)", [.int(lockKey)]) }
            try connection.transaction {
                // Re-check under the lock: the owner may have finished in between.
                guard try ledger.runningBatches().contains(where: { $0.batchId == batchId }) else { return }
                let error = ClinloadError(.interrupted, stage: .load, "the process running this batch stopped before it finished")
                try ledger.finish(batchId: batchId, event: .fail, counts: nil, error: error)
                try AuditLog(connection: connection).append(event: "batch_interrupted", batchId: batchId, details: [
                    "code": .string(error.code.rawValue),
                ])
                recovered.append(batchId)
            }
            logger.warning("interrupted batch marked failed", metadata: ["batch_id": "\(batchId.uuidString.lowercased())"])
        }
        return recovered
    }

    /// The work of one batch, inside its transaction. Returns `.loaded` or
    /// `.rejected`. A loaded batch supersedes the batches in `superseding`
    /// (earlier loads of the same input, on `run --reload`).
    private func load(
        pipeline: LoadedPipeline, input: InputFile, batchId: UUID, blindIndexKey: KeyRing.DataKey, superseding: [UUID],
        counts: inout BatchCounts
    ) throws -> BatchOutcome.Status {
        let clock = ContinuousClock()
        let started = clock.now
        let dataKey = try keyRing.newBatchKey(batchId: batchId, pipeline: pipeline.name)
        let ledger = BatchLedger(connection: connection)
        try ledger.attachDataKey(batchId: batchId, keyId: dataKey.id)
        let blindIndex = try BlindIndex(key: blindIndexKey.plaintext)
        let work = BatchWork(
            batchId: batchId, input: input, dataKeyId: dataKey.id,
            sealer: try IdentifierSealer(dataKey: dataKey.plaintext, keyId: dataKey.id, random: random),
            surrogates: try SurrogateDeriver(dataKey: dataKey.plaintext),
            blindIndex: blindIndex,
            pseudonyms: Pseudonymizer(index: blindIndex, namespace: pipeline.definition.subject.namespace),
            quarantine: QuarantineStore(connection: connection, batchId: batchId, dataKeyId: dataKey.id))

        let staged: StagedLoad
        switch (pipeline.definition.source.format, pipeline.definition.subject.mode) {
        case (.csv, .defines): staged = try stagePatientCSV(pipeline: pipeline, work: work, counts: &counts)
        case (.csv, _): staged = try stageEventCSV(pipeline: pipeline, work: work, counts: &counts)
        case (.hl7v2XML, _), (.cda, _): staged = try stageXML(pipeline: pipeline, work: work, counts: &counts)
        }
        let stagedAt = clock.now
        counts.stageMilliseconds["stage"] = Self.milliseconds(stagedAt - started)

        let audit = AuditLog(connection: connection)
        let ratio = counts.recordsRead == 0 ? 0 : Double(counts.recordsQuarantined) / Double(counts.recordsRead)
        if ratio > pipeline.definition.quality.maxRejectRatio {
            // Withdrawn while the batch is still running: only then may its rows go.
            try staged.withdraw()
            try ledger.finish(batchId: batchId, event: .reject, counts: counts,
                              error: ClinloadError(.rejectRatioExceeded, stage: .validate,
                                                   attributes: [("max_reject_ratio", "\(pipeline.definition.quality.maxRejectRatio)")]))
            try audit.append(event: "batch_rejected", batchId: batchId, details: auditCounts(counts, dataKey: dataKey.id))
            return .rejected
        }
        counts.rowsLoaded = try staged.merge()
        for earlier in superseding {
            let removed = try ledger.supersede(earlier, by: batchId)
            try audit.append(event: "batch_superseded", batchId: earlier, details: [
                "superseded_by": .string(batchId.uuidString.lowercased()),
                "rows_removed": .object(removed.mapValues { .int($0) }),
            ])
        }
        counts.stageMilliseconds["merge"] = Self.milliseconds(clock.now - stagedAt)
        try ledger.finish(batchId: batchId, event: .complete, counts: counts)
        try audit.append(event: "batch_completed", batchId: batchId, details: auditCounts(counts, dataKey: dataKey.id))
        return .loaded
    }

    /// Fills `chunk` with up to `chunkSize` records that pass the schema and the
    /// derivations' checks, quarantining the others as they come, and computes
    /// each kept record's blind index when the feed has a subject. Returns how
    /// many were kept and whether the file ended. Shared by every CSV feed shape.
    func readValidChunk(
        _ reader: CSVReader, header: [String], validator: RecordValidator, columns: ClinicalColumns, subjectKey: SubjectKey?,
        work: BatchWork, counts: inout BatchCounts, chunk: inout [CSVRecord], blindIndexes: inout [[UInt8]]
    ) throws -> (kept: Int, atEnd: Bool) {
        var kept = 0
        while kept < chunk.count {
            guard try reader.read(into: &chunk[kept]) else { return (kept, true) }
            counts.recordsRead += 1
            if counts.recordsRead & 31 == 0 { try connection.pumpSent() }   // keep sent COPY data flowing
            var reasons = problems(of: chunk[kept], header: header, validator: validator)
            if reasons.isEmpty { reasons = columns.violations(of: chunk[kept]) }
            if !reasons.isEmpty {
                try quarantine(chunk[kept], reasons: reasons, work: work, counts: &counts)
                continue
            }
            if let subjectKey {
                blindIndexes[kept].removeAll(keepingCapacity: true)
                try subjectKey.blindIndex(of: chunk[kept], using: work.blindIndex, appendingTo: &blindIndexes[kept])
            }
            kept += 1
        }
        return (kept, false)
    }

    static func checkCounts(_ rows: [Int], expected: Int) throws {
        for n in rows where n != expected {
            throw ClinloadError(.internalError, stage: .load, "loaded rows do not add up to records read minus quarantined",
                                attributes: [("rows", "\(n)"), ("expected", "\(expected)")])
        }
    }

    /// Sets a CSV record aside: reasons in the clear, the record encrypted.
    func quarantine(_ record: CSVRecord, reasons: [QuarantineReason], work: BatchWork, counts: inout BatchCounts) throws {
        counts.recordsQuarantined += 1
        var line = record.encodedLine()
        defer { line.secureWipe() }
        work.quarantine.add(.init(inputOrdinal: 1, provenance: record.provenance, reasons: reasons,
                                  encryptedRecord: try work.sealQuarantined(line, ordinal: record.provenance.ordinal)))
    }

    /// Reads and checks the header: every column classified, then exactly the schema.
    func readHeader(_ reader: CSVReader, pipeline: LoadedPipeline, file: String) throws -> [String] {
        var header = CSVRecord()
        guard try reader.read(into: &header) else {
            throw ClinloadError(.headerMismatch, stage: .validate, "the file is empty (no header)", location: .init(file: file, line: 1))
        }
        if let problem = header.problem {
            throw ClinloadError(.malformedCSV, stage: .extract, "the header line is malformed",
                                location: .init(file: file, line: problem.line, rule: problem.rule.rawValue))
        }
        let names = (0..<header.fieldCount).map(header.string)
        try RecordValidator.checkHeader(names, schema: pipeline.schema,
                                        classified: Set(pipeline.definition.fields.map(\.name)), file: file)
        return names
    }

    /// Why a record cannot be loaded (empty: it can).
    func problems(of record: CSVRecord, header: [String], validator: RecordValidator) -> [QuarantineReason] {
        if let problem = record.problem {
            let field = problem.fieldIndex < header.count ? header[problem.fieldIndex] : "record"
            return [QuarantineReason(field: field, rule: problem.rule.rawValue)]
        }
        guard record.fieldCount == header.count else {
            return [QuarantineReason(field: "record", rule: "field_count")]
        }
        return validator.violations(of: record)
    }

    private func auditCounts(_ counts: BatchCounts, dataKey: UUID) -> [String: CanonicalJSON] {
        [
            "records_read": .int(counts.recordsRead), "records_quarantined": .int(counts.recordsQuarantined),
            "rows_loaded": .object(counts.rowsLoaded.mapValues { .int($0) }),
            "data_key_id": .string(dataKey.uuidString.lowercased()),
        ]
    }

    private func reasonTallies(_ batchId: UUID) throws -> [QuarantineTally] {
        try QuarantineStore.reasonCounts(connection: connection, batchId: batchId)
            .map { QuarantineTally(field: $0.field, rule: $0.rule, count: $0.count, firstLine: $0.firstLine) }
    }

    private func blindIndexKey() throws -> KeyRing.DataKey {
        if let cachedBlindIndexKey { return cachedBlindIndexKey }
        let key = try keyRing.blindIndexKey()
        cachedBlindIndexKey = key
        return key
    }

    static let cancelled = ClinloadError(.cancelled, stage: .load, "stopped on request (SIGTERM or SIGINT); nothing was committed")

    func stopIfCancelled() throws {
        if cancellation?.isCancelled == true { throw Self.cancelled }
    }

    static func clinloadError(_ error: Error) -> ClinloadError {
        switch error {
        case let e as ClinloadError: return e
        case let e as PostgresError: return e.clinloadError
        case let e as CryptoError: return e.clinloadError
        default:
            return ClinloadError(.internalError, stage: .load, "unexpected error", attributes: [("type", "\(type(of: error))")])
        }
    }
}
