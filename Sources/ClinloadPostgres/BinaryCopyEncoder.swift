import Foundation

/// Encodes rows in PostgreSQL's binary COPY format, which is ~1.5–2x faster to
/// load than text and takes bytea values as they are (no hex doubling).
/// See https://www.postgresql.org/docs/current/sql-copy.html#id-1.9.3.55.9.4
public enum BinaryCopyEncoder {
    public static let header: [UInt8] = Array("PGCOPY\n".utf8) + [0xFF, 0x0D, 0x0A, 0x00] + [0, 0, 0, 0] + [0, 0, 0, 0]
    public static let trailer: [UInt8] = [0xFF, 0xFF]

    @inline(__always)
    public static func beginRow(fieldCount: Int, into out: inout [UInt8]) {
        out.append(UInt8(fieldCount >> 8))
        out.append(UInt8(fieldCount & 0xFF))
    }

    @inline(__always)
    static func appendLength(_ n: Int32, into out: inout [UInt8]) {
        let u = UInt32(bitPattern: n)
        out.append(UInt8(u >> 24))
        out.append(UInt8((u >> 16) & 0xFF))
        out.append(UInt8((u >> 8) & 0xFF))
        out.append(UInt8(u & 0xFF))
    }

    @inline(__always)
    public static func appendNull(into out: inout [UInt8]) { appendLength(-1, into: &out) }

    /// A text, varchar or bytea value: its bytes as they are.
    @inline(__always)
    public static func appendBytes(_ bytes: UnsafeRawBufferPointer, into out: inout [UInt8]) {
        appendLength(Int32(bytes.count), into: &out)
        out.append(contentsOf: bytes)
    }

    public static func appendBytes(_ bytes: [UInt8], into out: inout [UInt8]) {
        bytes.withUnsafeBytes { appendBytes($0, into: &out) }
    }

    /// Reserves a length slot, lets `body` append the value, then fills the slot
    /// (for values produced straight into the buffer, such as ciphertexts).
    @inline(__always)
    public static func appendValue(into out: inout [UInt8], _ body: (inout [UInt8]) throws -> Void) rethrows {
        let slot = out.count
        appendLength(0, into: &out)
        try body(&out)
        let n = UInt32(out.count - slot - 4)
        out[slot] = UInt8(n >> 24)
        out[slot + 1] = UInt8((n >> 16) & 0xFF)
        out[slot + 2] = UInt8((n >> 8) & 0xFF)
        out[slot + 3] = UInt8(n & 0xFF)
    }

    public static func appendUUID(_ uuid: UUID, into out: inout [UInt8]) {
        appendLength(16, into: &out)
        uuid.appendRawBytes(to: &out)
    }

    public static func appendInt64(_ v: Int64, into out: inout [UInt8]) {
        appendLength(8, into: &out)
        let u = UInt64(bitPattern: v)
        for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8((u >> UInt64(shift)) & 0xFF)) }
    }

    public static func appendBool(_ v: Bool, into out: inout [UInt8]) {
        appendLength(1, into: &out)
        out.append(v ? 1 : 0)
    }

    public static func appendInt32(_ v: Int32, into out: inout [UInt8]) {
        appendLength(4, into: &out)
        let u = UInt32(bitPattern: v)
        for shift in stride(from: 24, through: 0, by: -8) { out.append(UInt8((u >> UInt32(shift)) & 0xFF)) }
    }
}

extension UUID {
    fileprivate func appendRawBytes(to out: inout [UInt8]) {
        withUnsafeBytes(of: uuid) { out.append(contentsOf: $0) }
    }
}
