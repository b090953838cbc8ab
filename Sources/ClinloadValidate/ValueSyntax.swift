/// Byte-level recognisers for the Table Schema types. They run per value, so they
/// look at bytes directly instead of building strings or formatters.
enum ValueSyntax {
    @inline(__always) static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
    @inline(__always) static func isHex(_ b: UInt8) -> Bool {
        isDigit(b) || (b >= 0x61 && b <= 0x66) || (b >= 0x41 && b <= 0x46)
    }

    static func digits(_ v: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Int? {
        guard range.upperBound <= v.count else { return nil }
        var n = 0
        for i in range {
            guard isDigit(v[i]) else { return nil }
            n = n * 10 + Int(v[i] - 0x30)
        }
        return n
    }

    /// `[+-]?[0-9]+`, within Int64.
    static func integer(_ v: UnsafeBufferPointer<UInt8>) -> Int64? {
        var i = 0
        var negative = false
        if i < v.count, v[i] == UInt8(ascii: "-") || v[i] == UInt8(ascii: "+") {
            negative = v[i] == UInt8(ascii: "-")
            i += 1
        }
        guard i < v.count else { return nil }
        var n: Int64 = 0
        while i < v.count {
            guard isDigit(v[i]) else { return nil }
            let (m, o1) = n.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.addingReportingOverflow(Int64(v[i] - 0x30))
            guard !o1, !o2 else { return nil }
            n = s
            i += 1
        }
        return negative ? -n : n
    }

    /// `[+-]?digits[.digits][(e|E)[+-]?digits]` — the decimal forms PostgreSQL's
    /// numeric accepts (no NaN or infinities in clinical feeds) — and within what
    /// a numeric can hold, so the server never refuses a value that passed here
    /// (which would fail the whole batch, SQLSTATE 22003, instead of setting one
    /// record aside): at most 131,072 digits before the decimal point and 16,383
    /// after it, once the exponent is applied (PostgreSQL's weight and display
    /// scale limits). "1e200000" is refused; "1e5000" is a (silly) numeric.
    static func number(_ v: UnsafeBufferPointer<UInt8>) -> Double? {
        var i = 0
        if i < v.count, v[i] == UInt8(ascii: "-") || v[i] == UInt8(ascii: "+") { i += 1 }
        var mantissaDigits = 0
        var integerDigits = 0      // before the point, leading zeros left out
        var fractionDigits = 0
        var fractionLeadingZeros = 0
        var nonZero = false
        while i < v.count, isDigit(v[i]) {
            if nonZero || v[i] != 0x30 { nonZero = true; integerDigits += 1 }
            mantissaDigits += 1
            i += 1
        }
        if i < v.count, v[i] == UInt8(ascii: ".") {
            i += 1
            while i < v.count, isDigit(v[i]) {
                if !nonZero, v[i] == 0x30 { fractionLeadingZeros += 1 } else { nonZero = true }
                fractionDigits += 1
                mantissaDigits += 1
                i += 1
            }
        }
        guard mantissaDigits > 0 else { return nil }
        var exponent = 0
        if i < v.count, v[i] == UInt8(ascii: "e") || v[i] == UInt8(ascii: "E") {
            i += 1
            var negative = false
            if i < v.count, v[i] == UInt8(ascii: "-") || v[i] == UInt8(ascii: "+") {
                negative = v[i] == UInt8(ascii: "-")
                i += 1
            }
            let start = i
            while i < v.count, isDigit(v[i]) {
                if exponent < 1_000_000 { exponent = exponent * 10 + Int(v[i] - 0x30) }
                i += 1
            }
            // An exponent of a million or more is refused outright (PostgreSQL takes
            // one up to about 10^9 on a zero; no clinical value needs it).
            guard i > start, exponent < 1_000_000 else { return nil }
            if negative { exponent = -exponent }
        }
        guard i == v.count else { return nil }
        // Digits after the point as stored (the display scale), and, for a value
        // that is not zero, the place of its first significant digit.
        guard max(0, fractionDigits - exponent) <= 16_383 else { return nil }
        if nonZero {
            let firstDigitPlace = (integerDigits > 0 ? integerDigits : -fractionLeadingZeros) + exponent
            guard firstDigitPlace <= 131_072 else { return nil }
        }
        return Double(String(decoding: v, as: UTF8.self))
    }

    /// `YYYY-MM-DD`, a real calendar day from year 1 (PostgreSQL has no year 0).
    static func date(_ v: UnsafeBufferPointer<UInt8>) -> Bool {
        guard v.count == 10, v[4] == UInt8(ascii: "-"), v[7] == UInt8(ascii: "-"),
              let y = digits(v, 0..<4), let m = digits(v, 5..<7), let d = digits(v, 8..<10), y >= 1 else { return false }
        return isCalendarDay(year: y, month: m, day: d)
    }

    /// `YYYY-MM-DDThh:mm:ss[.fraction][Z|±hh:mm]` (ISO 8601 / RFC 3339), with an
    /// offset PostgreSQL's timestamptz takes (up to ±15:59).
    static func datetime(_ v: UnsafeBufferPointer<UInt8>) -> Bool {
        guard v.count >= 19, date(UnsafeBufferPointer(rebasing: v[0..<10])),
              v[10] == UInt8(ascii: "T") || v[10] == UInt8(ascii: " "),
              v[13] == UInt8(ascii: ":"), v[16] == UInt8(ascii: ":"),
              let h = digits(v, 11..<13), let mi = digits(v, 14..<16), let s = digits(v, 17..<19),
              h < 24, mi < 60, s < 61 else { return false }
        var i = 19
        if i < v.count, v[i] == UInt8(ascii: ".") {
            i += 1
            let start = i
            while i < v.count, isDigit(v[i]) { i += 1 }
            guard i > start else { return false }
        }
        if i == v.count { return true }
        if v[i] == UInt8(ascii: "Z") { return i + 1 == v.count }
        guard v[i] == UInt8(ascii: "+") || v[i] == UInt8(ascii: "-"), v.count == i + 6, v[i + 3] == UInt8(ascii: ":"),
              let oh = digits(v, (i + 1)..<(i + 3)), let om = digits(v, (i + 4)..<(i + 6)) else { return false }
        return oh < 16 && om < 60
    }

    static func year(_ v: UnsafeBufferPointer<UInt8>) -> Int? {
        v.count == 4 ? digits(v, 0..<4) : nil
    }

    static func uuid(_ v: UnsafeBufferPointer<UInt8>) -> Bool {
        guard v.count == 36 else { return false }
        for i in 0..<36 {
            if i == 8 || i == 13 || i == 18 || i == 23 {
                guard v[i] == UInt8(ascii: "-") else { return false }
            } else if !isHex(v[i]) {
                return false
            }
        }
        return true
    }

    /// A pragmatic address check: one `@`, non-empty local part, a dotted domain, no spaces.
    static func email(_ v: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let at = v.firstIndex(of: UInt8(ascii: "@")), at > 0, at < v.count - 3,
              v.lastIndex(of: UInt8(ascii: "@")) == at,
              v[(at + 1)...].contains(UInt8(ascii: ".")),
              !v.contains(where: { $0 <= 0x20 }) else { return false }
        return v.last != UInt8(ascii: ".")
    }

    static func boolean(_ v: UnsafeBufferPointer<UInt8>) -> Bool {
        let s = String(decoding: v, as: UTF8.self)
        return ["true", "True", "TRUE", "1", "false", "False", "FALSE", "0"].contains(s)
    }

    /// Characters (Unicode scalars) in valid UTF-8: every byte that is not a continuation byte.
    static func scalarCount(_ v: UnsafeBufferPointer<UInt8>) -> Int {
        var n = 0
        for b in v where b & 0xC0 != 0x80 { n += 1 }
        return n
    }

    static func isCalendarDay(year: Int, month: Int, day: Int) -> Bool {
        guard (1...12).contains(month), day >= 1 else { return false }
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
        return day <= days
    }
}
