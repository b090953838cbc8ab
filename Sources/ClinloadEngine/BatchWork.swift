import ClinloadCore
import ClinloadCrypto
import ClinloadStore
import Foundation

/// What every stage of one batch shares: its id and input, its data key's
/// instruments (sealer, surrogate deriver), the store-wide blind index and
/// pseudonyms, and the quarantine it writes to.
struct BatchWork {
    let batchId: UUID
    let input: InputFile
    let dataKeyId: UUID
    let sealer: IdentifierSealer
    let surrogates: SurrogateDeriver
    let blindIndex: BlindIndex
    let pseudonyms: Pseudonymizer
    let quarantine: QuarantineStore

    /// A quarantined record, encrypted under the batch key and bound to its place
    /// (batch and ordinal), so a payload cannot be passed off as another record's.
    func sealQuarantined(_ bytes: [UInt8], ordinal: Int) throws -> [UInt8] {
        let column = IdentifierColumn(table: "etl.quarantine", column: "payload:1:\(ordinal)")
        var out: [UInt8] = []
        try bytes.withUnsafeBytes { try sealer.seal($0, column: column, surrogate: batchId, appendingTo: &out) }
        return out
    }
}

/// Surrogates for patients first seen in this batch, derived from their blind
/// index under a key of the batch: a patient appearing in several messages of one
/// file gets the same surrogate without the batch keeping a table of patients
/// (memory stays flat), yet nobody without the batch key can link the surrogate
/// to the blind index.
final class SurrogateDeriver {
    private let hmac: HMACSHA256

    init(dataKey: SecretBytes) throws {
        // A sub-key: the data key itself only ever encrypts.
        let label = Array("clinload/surrogate-key/v1".utf8)
        var subkey = [UInt8](repeating: 0, count: HMACSHA256.outputLength)
        let parent = try HMACSHA256(key: dataKey)
        try label.withUnsafeBytes { l in
            try subkey.withUnsafeMutableBytes { try parent.authenticate([l], into: $0) }
        }
        defer { subkey.secureWipe() }
        hmac = try HMACSHA256(key: SecretBytes(copying: subkey))
    }

    func surrogate(blindIndex: [UInt8]) throws -> UUID {
        var digest: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)   // 32 bytes on the stack, once per record
        return try withUnsafeMutableBytes(of: &digest) { d in
            try blindIndex.withUnsafeBytes { try hmac.authenticate($0, into: d) }
            d[6] = (d[6] & 0x0F) | 0x40   // looks like (and is as unpredictable as) a v4 UUID
            d[8] = (d[8] & 0x3F) | 0x80
            return UUID(uuid: d.loadUnaligned(as: uuid_t.self))
        }
    }
}
