import ClinloadCrypto
import Foundation

/// A key-encryption-key service (KMS): it makes data keys and unwraps them, and
/// its own key never leaves it. The local master-key file implements it today;
/// an AWS KMS or PKCS#11 provider implements the same three calls, so nothing
/// above this protocol changes when the provider does.
public protocol KeyProvider: Sendable {
    /// A stable, non-secret identifier of the key-encryption key in use
    /// (recorded with every wrapped key so rotation knows what wrapped what).
    var keyEncryptionKeyId: String { get }

    /// A fresh 256-bit data key: its plaintext (memory only) and its wrapped form
    /// (safe to store), bound to `context`.
    func generateDataKey(context: KeyContext) throws -> GeneratedDataKey

    /// The plaintext of a wrapped data key; fails unless `context` is the one it
    /// was wrapped with.
    func unwrap(_ wrapped: WrappedDataKey, context: KeyContext) throws -> SecretBytes

    /// Wraps an existing plaintext data key under this provider's key, bound to
    /// `context` (what rotation needs when the old key lives in another provider).
    func wrap(_ plaintext: SecretBytes, context: KeyContext) throws -> WrappedDataKey

    /// Re-wraps a data key wrapped by `source` under this provider's key, with the
    /// same context. The default unwraps through `source` and wraps under `self`
    /// (the plaintext passes through this process's memory); a provider that can
    /// re-wrap inside its service overrides it (AWS KMS: ReEncrypt, so the
    /// plaintext never reaches the client).
    func rewrap(_ wrapped: WrappedDataKey, context: KeyContext, from source: KeyProvider) throws -> WrappedDataKey
}

extension KeyProvider {
    public func rewrap(_ wrapped: WrappedDataKey, context: KeyContext, from source: KeyProvider) throws -> WrappedDataKey {
        try rewrapThroughMemory(wrapped, context: context, from: source)
    }

    /// The default re-wrap, callable from providers that override `rewrap` and
    /// fall back to it: `source.unwrap`, then `self.wrap`. The plaintext lives in
    /// a `SecretBytes` (zeroised when released) for the duration of the call.
    public func rewrapThroughMemory(_ wrapped: WrappedDataKey, context: KeyContext, from source: KeyProvider) throws -> WrappedDataKey {
        let plaintext = try source.unwrap(wrapped, context: context)
        return try wrap(plaintext, context: context)
    }
}

/// The encryption context a data key is bound to (as AWS KMS calls it): a wrapped
/// key presented with another context must fail to unwrap.
public struct KeyContext: Sendable, Equatable {
    public var pairs: [String: String]

    public init(_ pairs: [String: String]) { self.pairs = pairs }

    /// For a batch data key: its id and purpose.
    public static func dataKey(id: UUID, purpose: String) -> KeyContext {
        KeyContext(["clinload:key_id": id.uuidString.lowercased(), "clinload:purpose": purpose])
    }

    /// A canonical byte encoding (sorted keys, length-prefixed) used as associated data.
    public var canonicalBytes: [UInt8] {
        var out: [UInt8] = Array("clinload/key-context/v1".utf8)
        for key in pairs.keys.sorted() {
            for part in [key, pairs[key]!] {
                let bytes = Array(part.utf8)
                out.append(UInt8((bytes.count >> 8) & 0xFF))
                out.append(UInt8(bytes.count & 0xFF))
                out.append(contentsOf: bytes)
            }
        }
        return out
    }
}

/// A data key as stored: the wrapping key's id and the provider's opaque blob.
public struct WrappedDataKey: Sendable, Equatable {
    public var keyEncryptionKeyId: String
    public var blob: [UInt8]

    public init(keyEncryptionKeyId: String, blob: [UInt8]) {
        self.keyEncryptionKeyId = keyEncryptionKeyId
        self.blob = blob
    }
}

public struct GeneratedDataKey: Sendable {
    public var plaintext: SecretBytes
    public var wrapped: WrappedDataKey

    public init(plaintext: SecretBytes, wrapped: WrappedDataKey) {
        self.plaintext = plaintext
        self.wrapped = wrapped
    }
}
