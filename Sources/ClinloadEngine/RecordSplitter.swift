import ClinloadCore
import ClinloadCrypto
import ClinloadDefinitions
import ClinloadPostgres
import ClinloadStore
import ClinloadValidate
import Foundation

/// Splits a validated record into its rows: the vault row (surrogate key, blind
/// index, each identifier AES-256-GCM encrypted and bound to its column and
/// surrogate) and the staging row (clinical columns: values or their generalised
/// form; a known patient's vault columns too). Compiled once per batch from the
/// pipeline; used for every record.
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
        // Schema order, so staging columns are stable for a given pipeline.
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

    /// Appends the record's staging row (binary COPY) to `out`. A new patient's
    /// (`known` false) leaves the blind index and vault columns NULL: its vault
    /// row goes straight into the vault table (`appendIdentityRow`).
    func appendStagingRow(
        _ record: some FieldBytes, provenance: RecordProvenance, surrogate: UUID, known: Bool, blindIndex: [UInt8],
        sealer: IdentifierSealer, pseudonyms: Pseudonymizer, into out: inout [UInt8]
    ) throws {
        BinaryCopyEncoder.beginRow(fieldCount: VaultLoader.fixedStagingColumns + identity.count + clinical.columns.count, into: &out)
        BinaryCopyEncoder.appendUUID(surrogate, into: &out)
        if known { BinaryCopyEncoder.appendBytes(blindIndex, into: &out) } else { BinaryCopyEncoder.appendNull(into: &out) }
        BinaryCopyEncoder.appendInt64(Int64(provenance.ordinal), into: &out)
        BinaryCopyEncoder.appendInt64(Int64(provenance.line), into: &out)
        BinaryCopyEncoder.appendBool(known, into: &out)
        if known {
            try appendIdentifiers(record, surrogate: surrogate, sealer: sealer, into: &out)
        } else {
            for _ in identity { BinaryCopyEncoder.appendNull(into: &out) }
        }
        try clinical.append(record, pseudonyms: pseudonyms, into: &out)
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
