import ClinloadCrypto
@testable import ClinloadEngine
import Foundation
import Testing

/// New patients' surrogates, derived from the blind index under a sub-key of the
/// batch's data key (no database needed: the derivation is pure).
@Suite("Surrogate derivation")
struct SurrogateDeriverTests {
    /// Spelt out independently: sub-key = HMAC(data key, label); surrogate = the
    /// first 16 bytes of HMAC(sub-key, blind index) with the version-4 and RFC 4122
    /// variant bits set.
    @Test func surrogateIsTheKeyedDigestOfTheBlindIndex() throws {
        let dataKey = try SecretBytes(randomCount: 32)
        let blindIndex = (0..<32).map { UInt8($0 * 7 & 0xFF) }
        let subkey = try HMACSHA256(key: dataKey).authenticate(Array("clinload/surrogate-key/v1".utf8))
        var digest = try HMACSHA256(key: SecretBytes(copying: subkey)).authenticate(blindIndex)
        digest[6] = (digest[6] & 0x0F) | 0x40
        digest[8] = (digest[8] & 0x3F) | 0x80

        let deriver = try SurrogateDeriver(dataKey: dataKey)
        let surrogate = try deriver.surrogate(blindIndex: blindIndex)
        #expect(surrogate.bytes == Array(digest[..<16]))
        #expect(surrogate.uuidString.lowercased().dropFirst(14).first == "4")
        // The same patient again in the batch: the same surrogate; another batch's key: another.
        #expect(try deriver.surrogate(blindIndex: blindIndex) == surrogate)
        #expect(try SurrogateDeriver(dataKey: SecretBytes(randomCount: 32)).surrogate(blindIndex: blindIndex) != surrogate)
    }
}
