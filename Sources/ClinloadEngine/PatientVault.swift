import ClinloadDefinitions
import ClinloadPostgres
import ClinloadStore
import ClinloadValidate

/// The vault side of a feed that defines patients (a patient CSV, an XML feed),
/// opened for a chunked load in the batch's transaction: the vault table locked
/// against other batches, the staging and deferred-update tables created, and
/// the per-chunk merge statements built once.
struct PatientVault {
    let validator: RecordValidator
    let splitter: RecordSplitter
    let loader: VaultLoader
    private let mergeNew: String
    private let mergeAll: String

    init(pipeline: LoadedPipeline, work: BatchWork, connection: PostgresConnection) throws {
        validator = try RecordValidator(schema: pipeline.schema)
        splitter = RecordSplitter(pipeline: pipeline, validators: validator.fields)
        loader = try VaultLoader(connection: connection, plan: splitter.loaderPlan)
        try loader.lockTargets()
        try loader.createStaging()
        try loader.createDeferredUpdates()
        mergeNew = loader.chunkMergeSQL(batchId: work.batchId, deferringKnown: false)
        mergeAll = loader.chunkMergeSQL(batchId: work.batchId, deferringKnown: true)
    }

    /// The statements that move a staged chunk on. Two versions: the pass that
    /// defers known patients' rows is a scan of the chunk, skipped when the chunk
    /// has none (a first load).
    func chunkMergeSQL(deferringKnown: Bool) -> String { deferringKnown ? mergeAll : mergeNew }
}
