import ClinloadCore
import ClinloadCrypto
import ClinloadDefinitions

/// The patient's natural key in a record (its positions among the record's
/// values) and how it becomes a blind index: the same for a feed that defines
/// patients and for one that only refers to them, so both meet in the vault.
struct SubjectKey {
    let namespace: String
    let indexes: [Int]
    let name: String

    init(pipeline: LoadedPipeline) {
        let subject = pipeline.definition.subject
        let position = Dictionary(uniqueKeysWithValues: pipeline.schema.fieldNames.enumerated().map { ($1, $0) })
        namespace = subject.namespace
        indexes = subject.naturalKey.map { position[$0]! }   // lint: every key part is a field
        name = subject.naturalKey.joined(separator: "+")
    }

    /// Appends the record's blind index to `out`.
    func blindIndex(of record: some FieldBytes, using index: BlindIndex, appendingTo out: inout [UInt8]) throws {
        try index.compute(namespace: namespace, count: indexes.count, appendingTo: &out) { i, body in
            record.withField(indexes[i]) { body($0) }
        }
    }
}
