/// A blind index as a dictionary key: its 32 bytes as four words.
///
/// A chunk's look-up answers thousands of blind indexes, each found again by
/// the record that asked. Keyed by `[UInt8]`, every insert and lookup hashed the
/// 32 bytes one at a time through `Hasher` (3% of an event load's CPU); four
/// words hash in four steps, and compare in four.
public struct BlindIndexKey: Hashable, Sendable {
    private let w0: UInt64, w1: UInt64, w2: UInt64, w3: UInt64

    /// Nil unless `bytes` is a blind index (32 bytes).
    public init?(_ bytes: [UInt8]) {
        guard bytes.count == BlindIndex.length else { return nil }
        (w0, w1, w2, w3) = bytes.withUnsafeBytes { b in
            (b.loadUnaligned(fromByteOffset: 0, as: UInt64.self), b.loadUnaligned(fromByteOffset: 8, as: UInt64.self),
             b.loadUnaligned(fromByteOffset: 16, as: UInt64.self), b.loadUnaligned(fromByteOffset: 24, as: UInt64.self))
        }
    }
}
