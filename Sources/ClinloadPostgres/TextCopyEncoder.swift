import Foundation

/// Encodes rows in PostgreSQL's text COPY format: fields separated by tabs, rows
/// ended by a newline, NULL as `\N`, and backslash, tab, newline and carriage
/// return escaped inside values. Used where the server must convert text to the
/// column's type itself (timestamps, numerics, uuids): COPY runs the same input
/// function a `::type` cast would, so no staging table is needed for it.
/// See https://www.postgresql.org/docs/current/sql-copy.html (Text Format).
///
/// Each field is written followed by a tab; `endRow` turns the row's last tab
/// into the newline, so callers need not know which field is last.
public enum TextCopyEncoder: CopyFieldFormat {
    static let tab: UInt8 = 0x09
    static let backslash: UInt8 = 0x5C

    @inline(__always)
    static func needsEscape(_ b: UInt8) -> Bool {
        b == backslash || b == tab || b == 0x0A || b == 0x0D
    }

    static func appendEscaped(_ b: UInt8, into out: inout [UInt8]) {
        switch b {
        case backslash: out.append(backslash); out.append(backslash)
        case tab: out.append(backslash); out.append(UInt8(ascii: "t"))
        case 0x0A: out.append(backslash); out.append(UInt8(ascii: "n"))
        case 0x0D: out.append(backslash); out.append(UInt8(ascii: "r"))
        default: out.append(b)
        }
    }

    @inline(__always)
    public static func appendNull(into out: inout [UInt8]) {
        out.append(backslash)
        out.append(UInt8(ascii: "N"))
        out.append(tab)
    }

    public static func appendBytes(_ bytes: UnsafeRawBufferPointer, into out: inout [UInt8]) {
        if bytes.contains(where: needsEscape) {
            for b in bytes { appendEscaped(b, into: &out) }
        } else {
            out.append(contentsOf: bytes)
        }
        out.append(tab)
    }

    /// `body` appends the raw value; it is escaped afterwards if it needs it (the
    /// values produced this way, digits and hex, almost never do).
    public static func appendValue(into out: inout [UInt8], _ body: (inout [UInt8]) throws -> Void) rethrows {
        let start = out.count
        try body(&out)
        if out[start...].contains(where: needsEscape) {
            let raw = Array(out[start...])
            out.removeSubrange(start...)
            for b in raw { appendEscaped(b, into: &out) }
        }
        out.append(tab)
    }

    /// The UUID in its canonical 36-character form, as a field. Written into a
    /// stack buffer and appended once: every row carries two or three of these.
    public static func appendUUID(_ uuid: UUID, into out: inout [UInt8]) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 37) { text in
            spell(uuid, into: text.baseAddress!)
            text[36] = tab
            out.append(contentsOf: UnsafeBufferPointer(text))
        }
    }

    /// The UUID's canonical 36 characters alone (no field separator): a value
    /// some caller builds inside `appendValue`, such as a pseudonym.
    public static func appendUUIDText(_ uuid: UUID, into out: inout [UInt8]) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 36) { text in
            spell(uuid, into: text.baseAddress!)
            out.append(contentsOf: UnsafeBufferPointer(text))
        }
    }

    /// Writes `8-4-4-4-12` lowercase hex digits (36 bytes) at `text`.
    private static func spell(_ uuid: UUID, into text: UnsafeMutablePointer<UInt8>) {
        withUnsafeBytes(of: uuid.uuid) { raw in
            var j = 0
            for i in 0..<16 {
                if i == 4 || i == 6 || i == 8 || i == 10 { text[j] = UInt8(ascii: "-"); j += 1 }
                text[j] = hexDigit(raw[i] >> 4)
                text[j + 1] = hexDigit(raw[i] & 0x0F)
                j += 2
            }
        }
    }

    public static func appendInteger(_ value: Int, into out: inout [UInt8]) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 21) { text in
            var magnitude = value.magnitude
            var i = 20
            text[i] = tab
            repeat {
                i -= 1
                text[i] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            if value < 0 { i -= 1; text[i] = UInt8(ascii: "-") }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: text[i...]))
        }
    }

    /// Ends the row begun by the fields appended since the last one (at least one).
    @inline(__always)
    public static func endRow(into out: inout [UInt8]) {
        out[out.count - 1] = 0x0A
    }

    @inline(__always)
    static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
    }
}
