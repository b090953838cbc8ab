import ClinloadCore
import ClinloadCrypto
import ClinloadDefinitions
import ClinloadPostgres
import ClinloadStore
import ClinloadValidate
import Foundation

/// Splits a validated record into its rows: the vault row (surrogate key, blind
/// index, each identifier AES-256-GCM encrypted and bound to its column and
/// surrogate) and the clinical row (values or their generalised form) of a new
/// patient, or the deferred row (both in one) of a patient already known.
/// Compiled once per batch from the pipeline; used for every record.
final class RecordSplitter {
    struct IdentityField {
        var index: Int
        var column: IdentifierColumn
        var name: String
    }

    let subjectKey: SubjectKey
    var naturalKeyName: String { subjectKey.name }
    let identity: [IdentityField]
    let clinical: ClinicalColumns
    let identityTable: QualifiedTable
    let clinicalTable: QualifiedTable
    private let validators: [FieldValidator]

    init(pipeline: LoadedPipeline, validators: [FieldValidator]) {
        let definition = pipeline.definition
        subjectKey = SubjectKey(pipeline: pipeline)
        // Lint guarantees both targets in `defines` mode, the only mode split here.
        identityTable = definition.target.identity!
        clinicalTable = definition.target.clinical!
        var identity: [IdentityField] = []
        // Schema order, so deferred-update columns are stable for a given pipeline.
        for (index, name) in pipeline.schema.fieldNames.enumerated() {
            guard let mapping = definition.mapping(for: name) else { continue }
            if let column = mapping.identityColumn {
                identity.append(IdentityField(index: index, column: IdentifierColumn(table: identityTable.description, column: column), name: column))
            }
        }
        self.identity = identity
        clinical = ClinicalColumns(
            fields: pipeline.schema.fieldNames.map { definition.mapping(for: $0) ?? FieldMapping(name: $0, fieldClass: .clinical, drop: true) },
            missingValues: pipeline.schema.missingValues)
        self.validators = validators
    }

    var loaderPlan: VaultLoader.Plan {
        VaultLoader.Plan(
            identityTable: (identityTable.schema, identityTable.table), identityColumns: identity.map(\.name),
            clinicalTable: (clinicalTable.schema, clinicalTable.table), clinicalColumns: clinical.names)
    }

    /// Appends the record's blind index to `out`.
    func blindIndex(of record: some FieldBytes, using index: BlindIndex, appendingTo out: inout [UInt8]) throws {
        try subjectKey.blindIndex(of: record, using: index, appendingTo: &out)
    }

    /// Appends a known patient's row for the deferred updates (binary COPY,
    /// `VaultLoader.deferredCopyStatement`): vault and clinical columns together,
    /// applied once the batch is accepted.
    func appendDeferredRow(
        _ record: some FieldBytes, provenance: RecordProvenance, surrogate: UUID, blindIndex: [UInt8],
        sealer: IdentifierSealer, pseudonyms: Pseudonymizer, into out: inout [UInt8]
    ) throws {
        BinaryCopyEncoder.beginRow(fieldCount: VaultLoader.fixedDeferredColumns + identity.count + clinical.columns.count, into: &out)
        BinaryCopyEncoder.appendUUID(surrogate, into: &out)
        BinaryCopyEncoder.appendBytes(blindIndex, into: &out)
        BinaryCopyEncoder.appendInt64(Int64(provenance.ordinal), into: &out)
        BinaryCopyEncoder.appendInt64(Int64(provenance.line), into: &out)
        try appendIdentifiers(record, surrogate: surrogate, sealer: sealer, into: &out)
        try clinical.append(record, pseudonyms: pseudonyms, as: BinaryCopyEncoder.self, into: &out)
    }

    /// Appends a new patient's clinical row (text COPY, `VaultLoader.clinicalCopyStatement`).
    /// `batchId` is the batch id as `TextCopyEncoder.appendUUID` writes it.
    func appendClinicalRow(
        _ record: some FieldBytes, provenance: RecordProvenance, surrogate: UUID, batchId: [UInt8],
        pseudonyms: Pseudonymizer, into out: inout [UInt8]
    ) throws {
        TextCopyEncoder.appendUUID(surrogate, into: &out)
        out += batchId
        TextCopyEncoder.appendInteger(provenance.ordinal, into: &out)
        try clinical.append(record, pseudonyms: pseudonyms, as: TextCopyEncoder.self, into: &out)
        TextCopyEncoder.endRow(into: &out)
    }

    /// Appends a new patient's vault row (binary COPY, `VaultLoader.identityCopyStatement`).
    func appendIdentityRow(
        _ record: some FieldBytes, provenance: RecordProvenance, surrogate: UUID, blindIndex: [UInt8], dataKeyId: UUID,
        batchId: UUID, sealer: IdentifierSealer, into out: inout [UInt8]
    ) throws {
        BinaryCopyEncoder.beginRow(fieldCount: 5 + identity.count, into: &out)
        BinaryCopyEncoder.appendUUID(surrogate, into: &out)
        BinaryCopyEncoder.appendBytes(blindIndex, into: &out)
        BinaryCopyEncoder.appendUUID(dataKeyId, into: &out)
        BinaryCopyEncoder.appendUUID(batchId, into: &out)
        BinaryCopyEncoder.appendInt64(Int64(provenance.ordinal), into: &out)
        try appendIdentifiers(record, surrogate: surrogate, sealer: sealer, into: &out)
    }

    /// Each vault column's value, AES-256-GCM encrypted and bound to its column
    /// and the surrogate (NULL for a missing value).
    private func appendIdentifiers(_ record: some FieldBytes, surrogate: UUID, sealer: IdentifierSealer, into out: inout [UInt8]) throws {
        for field in identity {
            try record.withField(field.index) { value in
                if validators[field.index].isMissing(value) {
                    BinaryCopyEncoder.appendNull(into: &out)
                } else {
                    try BinaryCopyEncoder.appendValue(into: &out) { buffer in
                        try sealer.seal(UnsafeRawBufferPointer(value), column: field.column, surrogate: surrogate, appendingTo: &buffer)
                    }
                }
            }
        }
    }
}
