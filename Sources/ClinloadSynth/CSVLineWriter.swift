/// Builds RFC 4180 CSV records, byte by byte, into one reusable buffer.
///
/// Why not `String`: generating a million rows must take seconds, and per-field
/// `String` formatting (interpolation, `String(format:)`, formatters) allocates for
/// every value. Here a field is appended as raw UTF-8 bytes into one buffer allocated
/// once; the caller hands full chunks (about `flushThreshold` bytes) to a sink and the
/// buffer is reused, so memory stays flat however many rows are written.
///
/// Quoting follows RFC 4180 and is decided per field: a field is wrapped in double
/// quotes only if it contains a comma, a double quote, CR or LF, and any double
/// quote inside it is doubled. Records end with a bare LF (Synthea's convention).
///
/// Usage: either `field(_:)` for a finished value, or `beginField()`, any number of
/// `append…` calls, then `endField()` to build a value from parts without a
/// temporary (`endVerbatimField()` when the parts cannot need quoting);
/// `endRecord()` after the last field of a row.
struct CSVLineWriter: ~Copyable {
    // Why a raw allocation rather than `[UInt8]`: `Array.append` pays a uniqueness
    // check and a capacity check (and often a retain) per call, which profiling showed
    // as a third of the generator's time. The writer is noncopyable, so the buffer has
    // exactly one owner and `deinit` frees it.
    private var base: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    /// Bytes pending: whole records, plus the record being built.
    private(set) var count = 0
    /// `needsFlush` turns true once this many bytes are pending.
    let flushThreshold: Int
    /// Offset where the field being built starts (after its separator).
    private var fieldStart = 0
    /// Fields already begun in the current record (0 at the start of a record).
    private var fieldsInRecord = 0

    /// - Parameter flushThreshold: bytes to collect before `needsFlush` reports true
    ///   (1 MiB by default: large enough that the sink, usually `write(2)`, is called
    ///   rarely; small enough to stay cache-friendly).
    init(flushThreshold: Int = 1 << 20) {
        precondition(flushThreshold > 0, "flushThreshold must be positive")
        self.flushThreshold = flushThreshold
        // Room for one more (generous) row past the threshold, so the buffer never
        // grows in the steady state.
        capacity = flushThreshold + (64 << 10)
        base = .allocate(capacity: capacity)
    }

    deinit {
        base.deallocate()
    }

    /// True when the caller should hand the pending bytes to its sink.
    var needsFlush: Bool { count >= flushThreshold }

    /// The pending bytes, copied (tests and diagnostics).
    var bytes: [UInt8] { Array(UnsafeBufferPointer(start: base, count: count)) }

    /// Passes the pending bytes to `sink` (if any) and empties the buffer, keeping
    /// its memory. Call between records, never in the middle of a field.
    mutating func flush(_ sink: (UnsafeRawBufferPointer) throws -> Void) rethrows {
        guard count > 0 else { return }
        try sink(UnsafeRawBufferPointer(start: base, count: count))
        count = 0
        fieldStart = 0
    }

    /// A pointer to `n` writable bytes at the end of the buffer (not yet counted).
    @inline(__always)
    private mutating func reserve(_ n: Int) -> UnsafeMutablePointer<UInt8> {
        if count + n > capacity { grow(toAtLeast: count + n) }
        return base + count
    }

    @inline(never)
    private mutating func grow(toAtLeast needed: Int) {
        var newCapacity = capacity * 2
        while newCapacity < needed { newCapacity *= 2 }
        let newBase = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        newBase.update(from: base, count: count)
        base.deallocate()
        base = newBase
        capacity = newCapacity
    }

    // MARK: fields

    /// Starts a field: writes the separator if it is not the record's first field.
    @inline(__always)
    mutating func beginField() {
        if fieldsInRecord > 0 {
            if count == capacity { grow(toAtLeast: count + 1) }
            base[count] = 0x2C  // ","
            count += 1
        }
        fieldsInRecord += 1
        fieldStart = count
    }

    /// Bit `b` is set for each byte `b` that forces quoting: LF, CR, '"' and ','.
    private static let quotingBytes: UInt64 = 1 << 0x0A | 1 << 0x0D | 1 << 0x22 | 1 << 0x2C

    /// Ends a field built since `beginField()`, quoting it if its bytes require it.
    ///
    /// Written with plain comparisons and no `&&`/`||` (autoclosures) or
    /// `UInt8(ascii:)` calls, because unoptimized test builds scan every byte of
    /// every field through this loop too.
    @inline(__always)
    mutating func endField() {
        let mask = Self.quotingBytes
        var p = UnsafePointer(base + fieldStart)
        let end = UnsafePointer(base + count)
        while p < end {
            let byte = p.pointee
            if byte < 0x40 {
                if mask & (1 << UInt64(byte)) != 0 {
                    quoteCurrentField()
                    return
                }
            }
            p += 1
        }
    }

    /// Ends a field built since `beginField()` from bytes that never need quoting —
    /// digits, '-', '.', and ASCII constants the caller wrote itself — skipping the
    /// scan `endField()` does. The generator formats most of its fields (dates,
    /// numbers, codes) this way; scanning them would be wasted work. Tests check the
    /// whole output re-serialises identically, which would catch misuse.
    @inline(__always)
    mutating func endVerbatimField() {}

    /// A complete field from a constant the caller knows needs no quoting.
    @inline(__always)
    mutating func verbatimField(_ string: StaticString) {
        beginField()
        append(string)
    }

    /// The rare path: rewrites the current field as `"…"` with inner quotes doubled.
    @inline(never)
    private mutating func quoteCurrentField() {
        let content = Array(UnsafeBufferPointer(start: base + fieldStart, count: count - fieldStart))
        count = fieldStart
        append(byte: UInt8(ascii: "\""))
        for byte in content {
            if byte == UInt8(ascii: "\"") { append(byte: UInt8(ascii: "\"")) }
            append(byte: byte)
        }
        append(byte: UInt8(ascii: "\""))
    }

    /// Writes a complete field from a string's UTF-8 (quoted only if needed).
    mutating func field(_ string: String) {
        beginField()
        var string = string
        string.withUTF8 { append($0) }
        endField()
    }

    /// Writes a complete field from a compile-time constant (quoted only if needed).
    @inline(__always)
    mutating func field(_ string: StaticString) {
        beginField()
        append(string)
        endField()
    }

    /// Writes an empty field (CSV's "missing value").
    @inline(__always)
    mutating func emptyField() {
        beginField()
    }

    /// Ends the record with LF.
    @inline(__always)
    mutating func endRecord() {
        append(byte: 0x0A)  // LF
        fieldsInRecord = 0
        fieldStart = count
    }

    // MARK: appending parts of a field

    @inline(__always)
    mutating func append(byte: UInt8) {
        // (The capacity check is written out rather than calling `reserve`: this is
        // the most frequent call, and unoptimized test builds do not inline.)
        if count == capacity { grow(toAtLeast: count + 1) }
        base[count] = byte
        count += 1
    }

    @inline(__always)
    mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let source = bytes.baseAddress, bytes.count > 0 else { return }
        UnsafeMutableRawPointer(reserve(bytes.count)).copyMemory(from: source, byteCount: bytes.count)
        count += bytes.count
    }

    @inline(__always)
    mutating func append(_ string: StaticString) {
        precondition(string.hasPointerRepresentation, "expected a string literal")
        append(UnsafeBufferPointer(start: string.utf8Start, count: string.utf8CodeUnitCount))
    }

    /// "00" "01" … "99": two digits per division when formatting numbers.
    private static let digitPairs: StaticString = "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899"

    /// Appends `value` in decimal, left-padded with zeros to at least `minDigits`
    /// (at most 20).
    ///
    /// Digits are produced last first, two per division, into scratch space just past
    /// where they go (bytes 20..<40 after the end), then moved into place. (Written
    /// with plain integer indexing and no helper calls, because unoptimized test
    /// builds inline nothing, and this runs for every number of every row.)
    @inline(__always)
    mutating func append(decimal value: UInt64, minDigits: Int = 1) {
        precondition(minDigits <= 20, "at most 20 digits")
        if count + 40 > capacity { grow(toAtLeast: count + 40) }
        let pairs = Self.digitPairs.utf8Start
        let end = count + 40
        var i = end
        var v = value
        while v >= 100 {
            let quotient = v / 100
            let pair = Int(truncatingIfNeeded: v &- quotient &* 100) &* 2
            i -= 2
            base[i] = pairs[pair]
            base[i + 1] = pairs[pair + 1]
            v = quotient
        }
        if v >= 10 {
            let pair = Int(truncatingIfNeeded: v) &* 2
            i -= 2
            base[i] = pairs[pair]
            base[i + 1] = pairs[pair + 1]
        } else {
            i -= 1
            base[i] = 0x30 &+ UInt8(truncatingIfNeeded: v)  // "0"...
        }
        while end - i < minDigits {
            i -= 1
            base[i] = 0x30
        }
        let width = end - i
        UnsafeMutableRawPointer(base + count).copyMemory(from: base + i, byteCount: width)
        count += width
    }

    /// Appends a non-negative fixed-point number: `scaled / 10^fractionDigits` with
    /// exactly `fractionDigits` decimals (e.g. cents → "12.05"), without going through
    /// `Double`, so the text is exact and identical on every platform.
    @inline(__always)
    mutating func append(fixedPoint scaled: UInt64, fractionDigits: Int) {
        precondition(fractionDigits <= 19, "at most 19 decimals")
        var divisor: UInt64 = 1
        var k = fractionDigits
        while k > 0 {  // (not `for _ in 0..<n`: iterator calls are slow in debug builds)
            divisor &*= 10
            k -= 1
        }
        append(decimal: scaled / divisor)
        if fractionDigits > 0 {
            append(byte: 0x2E)  // "."
            append(decimal: scaled % divisor, minDigits: fractionDigits)
        }
    }

    /// Appends a UUID from its 128 bits in the canonical lowercase
    /// 8-4-4-4-12 form (one call instead of nine: this runs for every row).
    @inline(__always)
    mutating func append(uuidHigh high: UInt64, low: UInt64) {
        if count + 36 > capacity { grow(toAtLeast: count + 36) }
        // Groups are written last first: 12 and 4 hex digits from `low`, then 4, 4
        // and 8 from `high`, with a hyphen before each group but the first.
        var i = count + 36
        var v = low
        var group = 0
        while group < 5 {
            var digits = 4
            if group == 0 { digits = 12 }
            if group == 2 { v = high }
            if group == 4 { digits = 8 }
            while digits > 0 {
                let nibble = UInt8(truncatingIfNeeded: v & 0xF)
                i -= 1
                base[i] = nibble < 10 ? 0x30 &+ nibble : 0x57 &+ nibble  // "0"... or "a"...
                v >>= 4
                digits -= 1
            }
            if group < 4 {
                i -= 1
                base[i] = 0x2D  // "-"
            }
            group += 1
        }
        count += 36
    }
}
