import COpenSSL

/// Random bytes drawn from OpenSSL's CSPRNG in bulk and handed out in small
/// pieces (nonces, surrogate keys). One RAND_bytes call costs about a microsecond
/// whatever its size, so per-value calls would dominate the encryption cost.
/// Not thread-safe: one pool per worker.
public final class RandomPool {
    private var pool: [UInt8]
    private var offset: Int

    public init(blockSize: Int = 16 * 1024) {
        pool = [UInt8](repeating: 0, count: blockSize)
        offset = blockSize
    }

    deinit {
        pool.withUnsafeMutableBytes { clinload_openssl_cleanse($0.baseAddress, $0.count) }
    }

    /// Calls `body` with `count` fresh random bytes (valid only inside `body`).
    public func withBytes<R>(_ count: Int, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        precondition(count <= pool.count)
        if offset + count > pool.count { try refill() }
        let start = offset
        offset += count
        return try pool.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[start..<(start + count)])) }
    }

    public func bytes(_ count: Int) throws -> [UInt8] {
        try withBytes(count) { Array($0) }
    }

    private func refill() throws {
        let ok = pool.withUnsafeMutableBytes { RAND_bytes($0.baseAddress!.assumingMemoryBound(to: UInt8.self), Int32($0.count)) }
        guard ok == 1 else { throw CryptoError.randomFailed }
        offset = 0
    }
}
