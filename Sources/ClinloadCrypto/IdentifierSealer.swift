import Foundation

/// Encrypts identifier values for the vault under one batch's data key.
/// One instance per worker: it owns a cipher context, a nonce pool and scratch space.
public final class IdentifierSealer {
    public let keyId: UUID
    private let gcm: AESGCM
    private let random: RandomPool
    private var aad: [UInt8] = []
    private var keyIdBytes: [UInt8]

    public init(dataKey: SecretBytes, keyId: UUID, random: RandomPool = RandomPool()) throws {
        self.keyId = keyId
        gcm = try AESGCM(key: dataKey, direction: .seal)
        self.random = random
        keyIdBytes = keyId.bytes
        aad.reserveCapacity(128)
    }

    /// Appends the version-1 ciphertext of `plaintext` to `output`.
    public func seal(
        _ plaintext: UnsafeRawBufferPointer, column: IdentifierColumn, surrogate: UUID, appendingTo output: inout [UInt8]
    ) throws {
        column.associatedData(surrogate: surrogate, keyId: keyId, into: &aad)
        output.append(IdentifierCiphertext.version)
        output.append(contentsOf: keyIdBytes)
        try random.withBytes(AESGCM.nonceLength) { nonce in
            output.append(contentsOf: nonce)
            try aad.withUnsafeBytes { a in
                try gcm.seal(plaintext, nonce: nonce, aad: a, appendingTo: &output)
            }
        }
    }

    public func seal(_ plaintext: [UInt8], column: IdentifierColumn, surrogate: UUID) throws -> [UInt8] {
        var out: [UInt8] = []
        try plaintext.withUnsafeBytes { try seal($0, column: column, surrogate: surrogate, appendingTo: &out) }
        return out
    }
}

/// Decrypts vault values; refuses any value whose key id, table, column or
/// surrogate differs from the ones it was sealed with.
public final class IdentifierOpener {
    public let keyId: UUID
    private let gcm: AESGCM
    private var aad: [UInt8] = []

    public init(dataKey: SecretBytes, keyId: UUID) throws {
        self.keyId = keyId
        gcm = try AESGCM(key: dataKey, direction: .open)
    }

    public func open(_ ciphertext: [UInt8], column: IdentifierColumn, surrogate: UUID) throws -> [UInt8] {
        guard try IdentifierCiphertext.keyId(of: ciphertext) == keyId else { throw CryptoError.wrongKeyId }
        column.associatedData(surrogate: surrogate, keyId: keyId, into: &aad)
        return try ciphertext.withUnsafeBytes { c in
            try aad.withUnsafeBytes { a in
                try gcm.open(
                    UnsafeRawBufferPointer(rebasing: c[IdentifierCiphertext.headerLength...]),
                    nonce: UnsafeRawBufferPointer(rebasing: c[17..<IdentifierCiphertext.headerLength]),
                    aad: a)
            }
        }
    }
}
