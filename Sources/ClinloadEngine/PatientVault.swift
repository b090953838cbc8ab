import ClinloadDefinitions
import ClinloadPostgres
import ClinloadStore
import ClinloadValidate

/// The vault side of a feed that defines patients (a patient CSV, an XML feed),
/// opened for a chunked load in the batch's transaction: the vault table locked
/// against other batches and the deferred-update table created.
struct PatientVault {
    let validator: RecordValidator
    let splitter: RecordSplitter
    let loader: VaultLoader
    /// The batch id as text COPY writes it, for every new patient's clinical row.
    let batchIdText: [UInt8]

    init(pipeline: LoadedPipeline, work: BatchWork, connection: PostgresConnection) throws {
        validator = try RecordValidator(schema: pipeline.schema)
        splitter = RecordSplitter(pipeline: pipeline, validators: validator.fields)
        loader = try VaultLoader(connection: connection, plan: splitter.loaderPlan)
        try loader.lockTargets()
        try loader.createDeferredUpdates()
        var text: [UInt8] = []
        TextCopyEncoder.appendUUID(work.batchId, into: &text)
        batchIdText = text
    }
}
