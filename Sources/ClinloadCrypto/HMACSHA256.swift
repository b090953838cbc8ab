import COpenSSL

/// HMAC-SHA-256 with the key set once and the context reused for every message
/// (OpenSSL 3 EVP_MAC: re-initialising with a NULL key keeps the key).
/// Not thread-safe: one instance per worker.
public final class HMACSHA256 {
    public static let outputLength = 32
    private let mac: OpaquePointer
    private let ctx: OpaquePointer

    public init(key: SecretBytes) throws {
        guard let mac = EVP_MAC_fetch(nil, "HMAC", nil) else { throw CryptoError.cipherFailed(step: "mac_fetch") }
        guard let ctx = EVP_MAC_CTX_new(mac) else {
            EVP_MAC_free(mac)
            throw CryptoError.cipherFailed(step: "mac_ctx_new")
        }
        self.mac = mac
        self.ctx = ctx
        let ok = "SHA256".withCString { digestName -> Int32 in
            var params = [clinload_param_digest(UnsafeMutablePointer(mutating: digestName)), clinload_param_end()]
            return key.withUnsafeBytes { k in
                EVP_MAC_init(ctx, k.baseAddress!.assumingMemoryBound(to: UInt8.self), k.count, &params)
            }
        }
        guard ok == 1 else {
            EVP_MAC_CTX_free(ctx)
            EVP_MAC_free(mac)
            throw CryptoError.cipherFailed(step: "mac_init")
        }
    }

    deinit {
        EVP_MAC_CTX_free(ctx)
        EVP_MAC_free(mac)
    }

    /// The MAC of the concatenation of `parts`, written to `out` (32 bytes).
    public func authenticate(_ parts: [UnsafeRawBufferPointer], into out: UnsafeMutableRawBufferPointer) throws {
        precondition(out.count >= Self.outputLength)
        guard EVP_MAC_init(ctx, nil, 0, nil) == 1 else { throw CryptoError.cipherFailed(step: "mac_reinit") }
        for part in parts { try update(part) }
        try finish(into: out)
    }

    /// The MAC of `message`, written to `out` (32 bytes); no array of parts to
    /// allocate, for the per-record blind index.
    public func authenticate(_ message: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer) throws {
        precondition(out.count >= Self.outputLength)
        guard EVP_MAC_init(ctx, nil, 0, nil) == 1 else { throw CryptoError.cipherFailed(step: "mac_reinit") }
        try update(message)
        try finish(into: out)
    }

    private func update(_ part: UnsafeRawBufferPointer) throws {
        guard part.count > 0 else { return }
        guard EVP_MAC_update(ctx, part.baseAddress!.assumingMemoryBound(to: UInt8.self), part.count) == 1
        else { throw CryptoError.cipherFailed(step: "mac_update") }
    }

    private func finish(into out: UnsafeMutableRawBufferPointer) throws {
        var length = 0
        guard EVP_MAC_final(ctx, out.baseAddress!.assumingMemoryBound(to: UInt8.self), &length, out.count) == 1,
              length == Self.outputLength
        else { throw CryptoError.cipherFailed(step: "mac_final") }
    }

    public func authenticate(_ message: [UInt8]) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Self.outputLength)
        try message.withUnsafeBytes { m in
            try out.withUnsafeMutableBytes { try authenticate(m, into: $0) }
        }
        return out
    }
}
