/// Writes v2.xml markup byte by byte into one reusable buffer.
///
/// The buffer is a `CSVLineWriter` used purely as a growable byte buffer with a
/// flush threshold (none of its CSV quoting is involved): the same reasons apply
/// (no `String` formatting per value, one allocation reused for the whole file,
/// memory flat however many messages are written). Element names are compile-time
/// constants; values are constants, decimal numbers, dates, or entries of the
/// fake-identity tables, escaped on the rare occasion they contain `&`, `<` or `>`.
struct HL7v2XMLWriter: ~Copyable {
    private var buffer: CSVLineWriter

    init(flushThreshold: Int = 1 << 20) {
        buffer = CSVLineWriter(flushThreshold: flushThreshold)
    }

    /// Bytes pending (not yet handed to the sink).
    var pendingCount: Int { buffer.count }
    var needsFlush: Bool { buffer.needsFlush }
    /// The pending bytes, copied (tests).
    var bytes: [UInt8] { buffer.bytes }

    mutating func flush(_ sink: (UnsafeRawBufferPointer) throws -> Void) rethrows {
        try buffer.flush(sink)
    }

    // MARK: markup

    @inline(__always)
    mutating func raw(_ text: StaticString) {
        buffer.append(text)
    }

    @inline(__always)
    mutating func newline() {
        buffer.append(byte: 0x0A)
    }

    /// `<name>`
    @inline(__always)
    mutating func open(_ name: StaticString) {
        buffer.append(byte: 0x3C)  // "<"
        buffer.append(name)
        buffer.append(byte: 0x3E)  // ">"
    }

    /// `</name>`
    @inline(__always)
    mutating func close(_ name: StaticString) {
        buffer.append(byte: 0x3C)
        buffer.append(byte: 0x2F)  // "/"
        buffer.append(name)
        buffer.append(byte: 0x3E)
    }

    /// `<name>value</name>` for a constant known to need no escaping.
    @inline(__always)
    mutating func element(_ name: StaticString, _ value: StaticString) {
        open(name)
        buffer.append(value)
        close(name)
    }

    /// `<name>decimal</name>`
    @inline(__always)
    mutating func element(_ name: StaticString, decimal value: UInt64, minDigits: Int = 1) {
        open(name)
        buffer.append(decimal: value, minDigits: minDigits)
        close(name)
    }

    /// `<name>table[index]</name>`, escaped.
    @inline(__always)
    mutating func element(_ name: StaticString, _ table: ByteTable, _ index: Int) {
        open(name)
        text(table, index)
        close(name)
    }

    // MARK: values

    @inline(__always)
    mutating func text(_ value: StaticString) {
        buffer.append(value)
    }

    @inline(__always)
    mutating func decimal(_ value: UInt64, minDigits: Int = 1) {
        buffer.append(decimal: value, minDigits: minDigits)
    }

    @inline(__always)
    mutating func fixedPoint(_ scaled: UInt64, fractionDigits: Int) {
        buffer.append(fixedPoint: scaled, fractionDigits: fractionDigits)
    }

    @inline(__always)
    mutating func byte(_ value: UInt8) {
        buffer.append(byte: value)
    }

    /// A table entry as XML text: `&`, `<` and `>` escaped (the tables have none
    /// today; tests check that, and this keeps a future entry from breaking the file).
    @inline(__always)
    mutating func text(_ table: ByteTable, _ index: Int) {
        let utf8 = table.utf8(index)
        var needsEscaping = false
        for b in utf8 where b == 0x26 || b == 0x3C || b == 0x3E {
            needsEscaping = true
            break
        }
        if !needsEscaping {
            buffer.append(utf8)
            return
        }
        for b in utf8 {
            switch b {
            case 0x26: buffer.append("&amp;")
            case 0x3C: buffer.append("&lt;")
            case 0x3E: buffer.append("&gt;")
            default: buffer.append(byte: b)
            }
        }
    }

    /// An HL7 DTM `YYYYMMDD`.
    @inline(__always)
    mutating func date(_ date: CivilDate) {
        buffer.append(decimal: UInt64(date.year), minDigits: 4)
        buffer.append(decimal: UInt64(date.month), minDigits: 2)
        buffer.append(decimal: UInt64(date.day), minDigits: 2)
    }

    /// An HL7 DTM `YYYYMMDDHHMMSS` from minutes since 1970-01-01 (local time, no offset).
    @inline(__always)
    mutating func dateTime(minutes: Int, seconds: Int = 0) {
        let days = minutes >= 0 ? minutes / 1440 : (minutes - 1439) / 1440
        let minuteOfDay = minutes - days * 1440
        date(CivilDate(days: days))
        buffer.append(decimal: UInt64(minuteOfDay / 60), minDigits: 2)
        buffer.append(decimal: UInt64(minuteOfDay % 60), minDigits: 2)
        buffer.append(decimal: UInt64(seconds), minDigits: 2)
    }

    /// `<name><TS.1>YYYYMMDDHHMMSS</TS.1></name>` (the 2.5 TS time stamp).
    @inline(__always)
    mutating func timestamp(_ name: StaticString, minutes: Int, seconds: Int = 0) {
        open(name)
        open("TS.1")
        dateTime(minutes: minutes, seconds: seconds)
        close("TS.1")
        close(name)
    }

    /// `<name><CE.1>code</CE.1><CE.2>text</CE.2><CE.3>system</CE.3></name>`
    @inline(__always)
    mutating func codedElement(_ name: StaticString, code: StaticString, text: StaticString, system: StaticString) {
        open(name)
        element("CE.1", code)
        element("CE.2", text)
        element("CE.3", system)
        close(name)
    }
}
