import COpenSSL

/// Key material that lives only in memory: one heap allocation, never copied into
/// Swift arrays, zeroised (OPENSSL_cleanse) when the last reference goes.
/// Use it scoped (`withUnsafeBytes`) and let it go as soon as the work is done.
public final class SecretBytes: @unchecked Sendable {
    // Immutable after init; @unchecked because the raw pointer is not Sendable.
    private let pointer: UnsafeMutableRawBufferPointer

    public var count: Int { pointer.count }

    /// Fresh random bytes from OpenSSL's CSPRNG.
    public init(randomCount count: Int) throws {
        pointer = .allocate(byteCount: count, alignment: 16)
        guard RAND_bytes(pointer.baseAddress!.assumingMemoryBound(to: UInt8.self), Int32(count)) == 1 else {
            pointer.deallocate()
            throw CryptoError.randomFailed
        }
    }

    /// Takes a copy of `bytes`; the caller should wipe its own copy if it can.
    public init(copying bytes: UnsafeRawBufferPointer) {
        pointer = .allocate(byteCount: bytes.count, alignment: 16)
        pointer.copyMemory(from: bytes)
    }

    public convenience init(copying bytes: [UInt8]) {
        self.init(copying: bytes.withUnsafeBytes { UnsafeRawBufferPointer($0) })
    }

    deinit {
        clinload_openssl_cleanse(pointer.baseAddress, pointer.count)
        pointer.deallocate()
    }

    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(pointer))
    }

    /// Constant-time comparison (for tests and key commitments).
    public func constantTimeEquals(_ other: SecretBytes) -> Bool {
        guard count == other.count else { return false }
        return withUnsafeBytes { a in other.withUnsafeBytes { b in CRYPTO_memcmp(a.baseAddress, b.baseAddress, count) == 0 } }
    }
}
