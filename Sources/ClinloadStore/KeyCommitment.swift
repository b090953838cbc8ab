import ClinloadCore
import ClinloadCrypto
import Foundation

/// A commitment to a data key: HMAC-SHA-256 under the key itself over a label
/// and the key's id. Stored beside the wrapped key and checked after every
/// unwrap and before the key touches any data, so a wrapped key that was
/// substituted or corrupted — yet still unwraps — is caught instead of silently
/// producing the wrong plaintexts or failures on every value.
public enum KeyCommitment {
    public static func compute(key: SecretBytes, keyId: UUID) throws -> [UInt8] {
        let mac = try HMACSHA256(key: key)
        var message = Array("clinload/key-commitment/v1".utf8)
        message += withUnsafeBytes(of: keyId.uuid) { Array($0) }
        return try mac.authenticate(message)
    }

    /// Throws `key_unwrap_failed` unless `stored` commits to `key`.
    public static func verify(key: SecretBytes, keyId: UUID, stored: [UInt8]?) throws {
        guard let stored else {
            throw ClinloadError(.keyUnwrapFailed, stage: .keys, "the data key has no commitment stored: it cannot be trusted",
                                attributes: [("key_id", keyId.uuidString.lowercased()), ("rule", "commitment_missing")])
        }
        let expected = try compute(key: key, keyId: keyId)
        // Constant time: the comparison must not tell how much of a forgery matched.
        var difference: UInt8 = expected.count == stored.count ? 0 : 1
        for (a, b) in zip(expected, stored) { difference |= a ^ b }
        if difference != 0 {
            throw ClinloadError(.keyUnwrapFailed, stage: .keys,
                                "the data key does not match its commitment (substituted or corrupted wrapped key): nothing was decrypted",
                                attributes: [("key_id", keyId.uuidString.lowercased()), ("rule", "commitment_mismatch")])
        }
    }
}
