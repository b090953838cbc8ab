import ClinloadCore
import ClinloadCrypto
import ClinloadDefinitions
import ClinloadPostgres
import ClinloadValidate
import Foundation

/// The clinical columns of one target table, compiled from field mappings: which
/// field feeds each column and how it is derived on the way (README,
/// "Derivations"). Shared by every feed shape: the patient row of a CSV, each
/// record of an event CSV, each row of an XML group.
struct ClinicalColumns {
    struct Column {
        var index: Int
        var name: String
        var derivation: FieldMapping.Derivation
        var pseudonymSpace: String
        var fieldName: String
    }

    let columns: [Column]
    /// The columns whose derivation can fail (timestamps): checked per record,
    /// so feeds without any pay nothing.
    private let checked: [Column]
    private let missingValues: [[UInt8]]

    /// `fields` in the order of the record's values (`index` = position in it).
    init(fields: [FieldMapping], missingValues: [String] = [""]) {
        columns = fields.enumerated().compactMap { index, field in
            guard let target = field.clinical, let derivation = field.effectiveDerivation else { return nil }
            return Column(index: index, name: target.column, derivation: derivation, pseudonymSpace: target.pseudonymSpace,
                          fieldName: field.name)
        }
        checked = columns.filter { $0.derivation == .datetime }
        self.missingValues = missingValues.map { Array($0.utf8) }
    }

    var names: [String] { columns.map(\.name) }

    @inline(__always)
    func isMissing(_ v: UnsafeBufferPointer<UInt8>) -> Bool {
        for m in missingValues where m.count == v.count {
            if m.withUnsafeBufferPointer({ $0.elementsEqual(v) }) { return true }
        }
        return false
    }

    /// Derivations that can fail on a present value (a timestamp that is not one):
    /// the record is quarantined before anything is staged.
    func violations(of record: some FieldBytes, fieldPrefix: String = "", line: Int? = nil) -> [QuarantineReason] {
        var reasons: [QuarantineReason] = []
        for column in checked {
            record.withField(column.index) { value in
                if !isMissing(value), !TimestampSyntax.isTimestamp(value) {
                    reasons.append(QuarantineReason(field: fieldPrefix + column.fieldName, rule: "datetime", line: line))
                }
            }
        }
        return reasons
    }

    /// Appends each column's value, as text, to a COPY row in `format`: binary for
    /// a known patient's deferred row (its text cast when the updates are
    /// applied), text for rows COPYed straight into their table (the server's
    /// input functions convert).
    func append<Format: CopyFieldFormat>(
        _ record: some FieldBytes, pseudonyms: Pseudonymizer, as format: Format.Type, into out: inout [UInt8]
    ) throws {
        for column in columns {
            try record.withField(column.index) { value in
                if isMissing(value) {
                    Format.appendNull(into: &out)
                    return
                }
                switch column.derivation {
                case .copy:
                    Format.appendBytes(UnsafeRawBufferPointer(value), into: &out)
                case .year:
                    Format.appendBytes(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: value[0..<min(4, value.count)])), into: &out)
                case .zip3:
                    Format.appendBytes(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: value[0..<min(3, value.count)])), into: &out)
                case .pseudonym:
                    try Format.appendValue(into: &out) { buffer in
                        try pseudonyms.append(space: column.pseudonymSpace, value: value, into: &buffer)
                    }
                case .datetime:
                    // Checked by `violations` before staging; a failure here is a bug.
                    try Format.appendValue(into: &out) { buffer in
                        guard TimestampSyntax.normalise(value, into: &buffer) else {
                            throw ClinloadError(.internalError, stage: .transform, "a timestamp passed validation but not conversion",
                                                location: .init(field: column.fieldName, rule: "datetime"))
                        }
                    }
                case .number:
                    if NumberSyntax.isDecimal(value) {
                        Format.appendBytes(UnsafeRawBufferPointer(value), into: &out)
                    } else {
                        Format.appendNull(into: &out)
                    }
                }
            }
        }
    }
}

/// Keyed one-way pseudonyms (`derive: pseudonym`): a UUID from the blind-index
/// HMAC over (namespace, space, value). The same record id gives the same key in
/// every table, so rows join; without the blind-index key nobody can go back from
/// the key to the id, or test a guess.
final class Pseudonymizer {
    private let index: BlindIndex
    private let namespace: String
    private var scratch: [UInt8] = []
    private var spaces: [String: BlindIndex.Namespace] = [:]

    init(index: BlindIndex, namespace: String) {
        self.index = index
        self.namespace = namespace
    }

    /// Appends the UUID as text (the column's type conversion is the server's).
    func append(space: String, value: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) throws {
        let domain = spaces[space] ?? {
            let d = BlindIndex.Namespace("\(namespace)\u{0}pseudonym\u{0}\(space)")
            spaces[space] = d
            return d
        }()
        scratch.removeAll(keepingCapacity: true)
        try index.compute(namespace: domain, count: 1, appendingTo: &scratch) { _, body in body(value) }
        // RFC 9562 version 8 (custom) with the RFC variant: a valid UUID, marked as not random.
        scratch[6] = (scratch[6] & 0x0F) | 0x80
        scratch[8] = (scratch[8] & 0x3F) | 0x80
        let pseudonym = scratch.withUnsafeBytes { UUID(uuid: $0.loadUnaligned(as: uuid_t.self)) }
        TextCopyEncoder.appendUUIDText(pseudonym, into: &out)
    }
}
