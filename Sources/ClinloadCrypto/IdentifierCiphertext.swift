import Foundation

/// The stored form of one encrypted identifier value (version 1):
///
///     0      1            17         29                    n-16      n
///     | 0x01 | data key id | nonce    | AES-256-GCM ciphertext | tag   |
///       1 B    16 B (UUID)  12 B       len(plaintext)            16 B
///
/// The data key id travels with the value so a reader always knows which key to
/// fetch; the associated data (`IdentifierColumn.associatedData`) binds the value to
/// its table, column, surrogate key and data key, so a ciphertext copied to any
/// other row or column fails to authenticate.
public enum IdentifierCiphertext {
    public static let version: UInt8 = 1
    public static let headerLength = 1 + 16 + AESGCM.nonceLength
    public static let overhead = headerLength + AESGCM.tagLength

    /// The data key id recorded in a ciphertext.
    public static func keyId(of ciphertext: [UInt8]) throws -> UUID {
        guard ciphertext.count >= overhead else { throw CryptoError.malformedCiphertext(reason: "short") }
        guard ciphertext[0] == version else { throw CryptoError.malformedCiphertext(reason: "version") }
        return UUID(bytes: ciphertext[1..<17])
    }
}

/// A vault column: the table and column every value in it is bound to.
public struct IdentifierColumn: Sendable, Hashable {
    public let table: String
    public let column: String
    private let prefix: [UInt8]

    public init(table: String, column: String) {
        self.table = table
        self.column = column
        var p = Array("clinload/identifier/v1".utf8)
        for part in [table, column] {
            let bytes = Array(part.utf8)
            p.append(UInt8(bytes.count >> 8))
            p.append(UInt8(bytes.count & 0xFF))
            p.append(contentsOf: bytes)
        }
        prefix = p
    }

    /// Associated data: domain, table, column (length-prefixed), surrogate key,
    /// data key id and format version.
    public func associatedData(surrogate: UUID, keyId: UUID, into aad: inout [UInt8]) {
        aad.removeAll(keepingCapacity: true)
        aad.append(contentsOf: prefix)
        surrogate.appendBytes(to: &aad)
        keyId.appendBytes(to: &aad)
        aad.append(IdentifierCiphertext.version)
    }
}

extension UUID {
    /// The 16 bytes of the UUID in network order.
    public func appendBytes(to out: inout [UInt8]) {
        withUnsafeBytes(of: uuid) { out.append(contentsOf: $0) }
    }

    public var bytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(16)
        appendBytes(to: &out)
        return out
    }

    public init<C: Collection>(bytes: C) where C.Element == UInt8 {
        precondition(bytes.count == 16)
        var t: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &t) { dst in
            for (i, b) in bytes.enumerated() { dst[i] = b }
        }
        self.init(uuid: t)
    }

    /// A version-4 UUID from the pool's CSPRNG bytes (surrogate keys are random,
    /// never derived from an identifier: 45 CFR 164.514(c)).
    public static func random(from pool: RandomPool) throws -> UUID {
        try pool.withBytes(16) { raw in
            var b = Array(raw)
            b[6] = (b[6] & 0x0F) | 0x40
            b[8] = (b[8] & 0x3F) | 0x80
            return UUID(bytes: b)
        }
    }
}
