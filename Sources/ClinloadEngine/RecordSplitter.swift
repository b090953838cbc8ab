import ClinloadCore
import ClinloadCrypto
import ClinloadDefinitions
import ClinloadPostgres
import ClinloadStore
import ClinloadValidate
import Foundation

/// Splits a validated record into its staging row: the surrogate key, the blind
/// index, the vault columns (each value AES-256-GCM encrypted and bound to its
/// column and surrogate) and the clinical columns (values or their generalised
/// form). Compiled once per batch from the pipeline; used for every record.
final class RecordSplitter {
    struct IdentityField {
        var index: Int
        var column: IdentifierColumn
        var name: String
    }

    struct ClinicalField {
        var index: Int
        var name: String
        var derivation: FieldMapping.Derivation
    }

    let namespace: String
    let naturalKeyIndexes: [Int]
    let naturalKeyName: String
    let identity: [IdentityField]
    let clinical: [ClinicalField]
    let identityTable: QualifiedTable
    let clinicalTable: QualifiedTable
    private let validators: [FieldValidator]

    init(pipeline: LoadedPipeline, validators: [FieldValidator]) {
        let definition = pipeline.definition
        let position = Dictionary(uniqueKeysWithValues: pipeline.schema.fieldNames.enumerated().map { ($1, $0) })
        namespace = definition.subject.namespace
        naturalKeyIndexes = definition.subject.naturalKey.map { position[$0]! }
        naturalKeyName = definition.subject.naturalKey.joined(separator: "+")
        identityTable = definition.target.identity
        clinicalTable = definition.target.clinical
        var identity: [IdentityField] = []
        var clinical: [ClinicalField] = []
        // Schema order, so staging columns are stable for a given pipeline.
        for (index, name) in pipeline.schema.fieldNames.enumerated() {
            guard let mapping = definition.mapping(for: name) else { continue }
            if let column = mapping.identityColumn {
                identity.append(IdentityField(index: index, column: IdentifierColumn(table: definition.target.identity.description, column: column), name: column))
            }
            if let target = mapping.clinical, let derivation = mapping.effectiveDerivation {
                clinical.append(ClinicalField(index: index, name: target.column, derivation: derivation))
            }
        }
        self.identity = identity
        self.clinical = clinical
        self.validators = validators
    }

    var loaderPlan: VaultLoader.Plan {
        VaultLoader.Plan(
            identityTable: (identityTable.schema, identityTable.table), identityColumns: identity.map(\.name),
            clinicalTable: (clinicalTable.schema, clinicalTable.table), clinicalColumns: clinical.map(\.name))
    }

    /// Appends the record's blind index to `out`.
    func blindIndex(of record: some FieldBytes, using index: BlindIndex, appendingTo out: inout [UInt8]) throws {
        try index.compute(namespace: namespace, count: naturalKeyIndexes.count, appendingTo: &out) { i, body in
            record.withField(naturalKeyIndexes[i]) { body($0) }
        }
    }

    /// Appends the record's staging row (binary COPY) to `out`.
    func appendStagingRow(
        _ record: some FieldBytes, provenance: RecordProvenance, surrogate: UUID, known: Bool, blindIndex: [UInt8],
        sealer: IdentifierSealer, into out: inout [UInt8]
    ) throws {
        BinaryCopyEncoder.beginRow(fieldCount: VaultLoader.fixedStagingColumns + identity.count + clinical.count, into: &out)
        BinaryCopyEncoder.appendUUID(surrogate, into: &out)
        BinaryCopyEncoder.appendBytes(blindIndex, into: &out)
        BinaryCopyEncoder.appendInt64(Int64(provenance.ordinal), into: &out)
        BinaryCopyEncoder.appendInt64(Int64(provenance.line), into: &out)
        BinaryCopyEncoder.appendBool(known, into: &out)
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
        for field in clinical {
            record.withField(field.index) { value in
                if validators[field.index].isMissing(value) {
                    BinaryCopyEncoder.appendNull(into: &out)
                    return
                }
                let kept: UnsafeBufferPointer<UInt8>
                switch field.derivation {
                case .copy: kept = value
                case .year: kept = UnsafeBufferPointer(rebasing: value[0..<min(4, value.count)])
                case .zip3: kept = UnsafeBufferPointer(rebasing: value[0..<min(3, value.count)])
                }
                BinaryCopyEncoder.appendBytes(UnsafeRawBufferPointer(kept), into: &out)
            }
        }
    }
}
