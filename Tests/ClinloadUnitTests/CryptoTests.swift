@testable import ClinloadCrypto
import Foundation
import Testing

@Suite("AES-256-GCM identifier encryption, blind index, digests")
struct CryptoTests {
    let key: SecretBytes
    let keyId = UUID()
    let column = IdentifierColumn(table: "identity.patient", column: "ssn")

    init() throws { key = try SecretBytes(randomCount: 32) }

    @Test func sealAndOpenRoundTrip() throws {
        let surrogate = UUID()
        let sealer = try IdentifierSealer(dataKey: key, keyId: keyId)
        let ciphertext = try sealer.seal(Array("999-12-3456".utf8), column: column, surrogate: surrogate)
        #expect(ciphertext.count == IdentifierCiphertext.overhead + 11)
        #expect(ciphertext[0] == 1)
        #expect(try IdentifierCiphertext.keyId(of: ciphertext) == keyId)
        #expect(!String(decoding: ciphertext, as: UTF8.self).contains("999-12-3456"))
        let opener = try IdentifierOpener(dataKey: key, keyId: keyId)
        #expect(try opener.open(ciphertext, column: column, surrogate: surrogate) == Array("999-12-3456".utf8))
    }

    @Test func emptyValueRoundTrips() throws {
        let surrogate = UUID()
        let ciphertext = try IdentifierSealer(dataKey: key, keyId: keyId).seal([], column: column, surrogate: surrogate)
        #expect(try IdentifierOpener(dataKey: key, keyId: keyId).open(ciphertext, column: column, surrogate: surrogate) == [])
    }

    /// One sealer, values of every size in turn (its scratch space grows and is
    /// reused), appended one after another to one buffer as a COPY row is built.
    @Test func valuesOfAnySizeSealInSequence() throws {
        let sealer = try IdentifierSealer(dataKey: key, keyId: keyId)
        let opener = try IdentifierOpener(dataKey: key, keyId: keyId)
        let surrogate = UUID()
        let values = [0, 300, 5, 4_000, 17, 0, 1].map { n in (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ n) } }
        var buffer: [UInt8] = [0xEE]
        var ranges: [Range<Int>] = []
        for value in values {
            let start = buffer.count
            try value.withUnsafeBytes { try sealer.seal($0, column: column, surrogate: surrogate, appendingTo: &buffer) }
            ranges.append(start..<buffer.count)
        }
        #expect(buffer[0] == 0xEE)
        for (value, range) in zip(values, ranges) {
            #expect(range.count == IdentifierCiphertext.overhead + value.count)
            #expect(try opener.open(Array(buffer[range]), column: column, surrogate: surrogate) == value)
        }
    }

    @Test func ciphertextMovedToAnotherRowOrColumnFails() throws {
        let surrogate = UUID()
        let ciphertext = try IdentifierSealer(dataKey: key, keyId: keyId).seal(Array("Maynard46".utf8), column: column, surrogate: surrogate)
        let opener = try IdentifierOpener(dataKey: key, keyId: keyId)
        #expect(throws: CryptoError.authenticationFailed) {
            _ = try opener.open(ciphertext, column: column, surrogate: UUID())
        }
        #expect(throws: CryptoError.authenticationFailed) {
            _ = try opener.open(ciphertext, column: IdentifierColumn(table: "identity.patient", column: "given_name"), surrogate: surrogate)
        }
        #expect(throws: CryptoError.authenticationFailed) {
            _ = try opener.open(ciphertext, column: IdentifierColumn(table: "identity.other", column: "ssn"), surrogate: surrogate)
        }
    }

    @Test func wrongKeyOrTamperedBytesFail() throws {
        let surrogate = UUID()
        var ciphertext = try IdentifierSealer(dataKey: key, keyId: keyId).seal(Array("secret".utf8), column: column, surrogate: surrogate)
        let otherKey = try SecretBytes(randomCount: 32)
        #expect(throws: CryptoError.authenticationFailed) {
            _ = try IdentifierOpener(dataKey: otherKey, keyId: keyId).open(ciphertext, column: column, surrogate: surrogate)
        }
        #expect(throws: CryptoError.wrongKeyId) {
            _ = try IdentifierOpener(dataKey: key, keyId: UUID()).open(ciphertext, column: column, surrogate: surrogate)
        }
        ciphertext[ciphertext.count - 20] ^= 0x01
        #expect(throws: CryptoError.authenticationFailed) {
            _ = try IdentifierOpener(dataKey: key, keyId: keyId).open(ciphertext, column: column, surrogate: surrogate)
        }
    }

    @Test func nonceIsFreshForEveryValue() throws {
        let sealer = try IdentifierSealer(dataKey: key, keyId: keyId)
        let surrogate = UUID()
        let a = try sealer.seal(Array("same".utf8), column: column, surrogate: surrogate)
        let b = try sealer.seal(Array("same".utf8), column: column, surrogate: surrogate)
        #expect(a[17..<29] != b[17..<29])
        #expect(a != b)
    }

    @Test func blindIndexIsStableAndNormalised() throws {
        let index = try BlindIndex(key: key)
        let a = try index.compute(namespace: "synthea", parts: ["3edac2e3-d223-6fae-d515-daf96ef6bc76"])
        let b = try index.compute(namespace: "synthea", parts: [" 3EDAC2E3-D223-6FAE-D515-DAF96EF6BC76\t"])
        #expect(a == b)
        #expect(a.count == 32)
        // A new instance with the same key gives the same index (stability across batches).
        #expect(try BlindIndex(key: key).compute(namespace: "synthea", parts: ["3edac2e3-d223-6fae-d515-daf96ef6bc76"]) == a)
        #expect(try index.compute(namespace: "other", parts: ["3edac2e3-d223-6fae-d515-daf96ef6bc76"]) != a)
        #expect(try BlindIndex(key: SecretBytes(randomCount: 32)).compute(namespace: "synthea", parts: ["3edac2e3-d223-6fae-d515-daf96ef6bc76"]) != a)
        // Parts are length-prefixed: ("ab","c") and ("a","bc") differ.
        #expect(try index.compute(namespace: "n", parts: ["ab", "c"]) != index.compute(namespace: "n", parts: ["a", "bc"]))
    }

    /// The message the blind index authenticates, spelt out here independently of
    /// BlindIndex: every vault already loaded holds indexes of this exact encoding,
    /// so any change to it would stop known patients from being found again.
    @Test func blindIndexEncodingIsPinned() throws {
        func part(_ bytes: [UInt8]) -> [UInt8] {
            let n = UInt32(bytes.count)
            return [UInt8(n >> 24), UInt8((n >> 16) & 0xFF), UInt8((n >> 8) & 0xFF), UInt8(n & 0xFF)] + bytes
        }
        let message = part(Array("clinload/blind-index/v1".utf8)) + part(Array("synthea".utf8))
            + part(Array("ABC-1".utf8)) + part(Array("Ä".utf8))
        let expected = try HMACSHA256(key: key).authenticate(message)
        let index = try BlindIndex(key: key)
        // Trimmed of spaces and tabs, ASCII letters upper-cased, other bytes as they are.
        #expect(try index.compute(namespace: "synthea", parts: [" abc-1\t", "Ä"]) == expected)
        // One instance serves any namespace, in any order.
        #expect(try index.compute(namespace: "other", parts: ["abc-1", "Ä"]) != expected)
        #expect(try index.compute(namespace: "synthea", parts: ["ABC-1", "Ä"]) == expected)
        // A key longer than the message buffer's first size (it grows), then a short one again.
        let long = String(repeating: "x", count: 1_000)
        let longMessage = part(Array("clinload/blind-index/v1".utf8)) + part(Array("n".utf8)) + part(Array(long.uppercased().utf8))
        #expect(try index.compute(namespace: "n", parts: [long]) == HMACSHA256(key: key).authenticate(longMessage))
        #expect(try index.compute(namespace: "synthea", parts: ["abc-1", "Ä"]) == expected)
        // A namespace encoded beforehand gives the same index as by name.
        var byNamespace: [UInt8] = []
        let parts = [Array("ABC-1".utf8), Array("Ä".utf8)]
        try index.compute(namespace: BlindIndex.Namespace("synthea"), count: 2, appendingTo: &byNamespace) { i, body in
            parts[i].withUnsafeBufferPointer { body($0) }
        }
        #expect(byNamespace == expected)
    }

    /// Look-ups key their answers by blind index: equal bytes, equal keys; a
    /// difference in any byte, another key; only 32-byte values are keys.
    @Test func blindIndexKeysCompareEveryByte() throws {
        let index = try BlindIndex(key: key)
        let a = try index.compute(namespace: "synthea", parts: ["1"])
        #expect(BlindIndexKey(a) != nil && BlindIndexKey(a) == BlindIndexKey(Array(a)))
        var seen: Set<BlindIndexKey> = [BlindIndexKey(a)!]
        for position in [0, 7, 8, 15, 16, 23, 24, 31] {
            var b = a
            b[position] ^= 0x01
            #expect(BlindIndexKey(b) != BlindIndexKey(a))
            #expect(seen.insert(BlindIndexKey(b)!).inserted)
        }
        #expect(BlindIndexKey(Array(a.prefix(31))) == nil && BlindIndexKey(a + [0]) == nil)
    }

    @Test func sha256KnownAnswer() {
        #expect(SHA256Digest.hash("abc").hexString == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256Digest.hash([UInt8]()).hexString == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test func hmacKnownAnswerRFC4231() throws {
        // RFC 4231 test case 2: key "Jefe".
        let mac = try HMACSHA256(key: SecretBytes(copying: Array("Jefe".utf8)))
        #expect(try mac.authenticate(Array("what do ya want for nothing?".utf8)).hexString
                == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        // The context is reusable: same input, same output.
        #expect(try mac.authenticate(Array("what do ya want for nothing?".utf8)).hexString
                == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    @Test func randomSurrogatesAreVersion4AndDistinct() throws {
        let pool = RandomPool()
        let ids = try (0..<1000).map { _ in try UUID.random(from: pool) }
        #expect(Set(ids).count == 1000)
        #expect(ids.allSatisfy { $0.uuidString.dropFirst(14).first == "4" })
    }
}
