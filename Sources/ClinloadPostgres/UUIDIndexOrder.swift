import Foundation

/// A uuid's place in PostgreSQL's uuid order (its 16 bytes compared as unsigned,
/// first to last, as `uuid_cmp` does), as two integers that compare the same
/// way: for sending rows in the order an index on the uuid keeps.
public struct UUIDIndexOrder: Comparable, Sendable {
    private let high: UInt64
    private let low: UInt64

    public init() { (high, low) = (0, 0) }

    public init(_ id: UUID) {
        var bytes = id.uuid
        (high, low) = withUnsafeBytes(of: &bytes) {
            (UInt64(bigEndian: $0.loadUnaligned(as: UInt64.self)),
             UInt64(bigEndian: $0.loadUnaligned(fromByteOffset: 8, as: UInt64.self)))
        }
    }

    public static func < (a: UUIDIndexOrder, b: UUIDIndexOrder) -> Bool { (a.high, a.low) < (b.high, b.low) }
}
