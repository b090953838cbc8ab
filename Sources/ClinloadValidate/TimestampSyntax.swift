/// Timestamps as clinical feeds write them, normalised for a `timestamptz` column.
///
/// Accepted: HL7 v2 TS/DTM and CDA TS — `YYYY[MM[DD[HH[MM[SS[.S{1,4}]]]]]][+|-ZZZZ]` —
/// and ISO 8601 — `YYYY-MM-DD[(T| )HH:MM[:SS[.f+]]][Z|±HH[:MM]]`. Written as
/// `YYYY-MM-DD HH:MM:SS[.f]±HH:MM`: missing parts become the start of the period
/// (precision is not kept), and a time without an offset is read as UTC, which
/// is what a sending system that omits it usually means; the README says so.
/// Every part is range-checked (month, day of that month, hour, minute, second,
/// offset), so PostgreSQL never sees a value it would reject mid-merge.
///
/// Runs for every timestamp of every record (checked, then written), so neither
/// step allocates.
public enum TimestampSyntax {
    public static func normalise(_ v: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) -> Bool {
        guard let t = parse(v) else { return false }
        append(t.year, 4, &out); out.append(UInt8(ascii: "-")); append(t.month, 2, &out); out.append(UInt8(ascii: "-"))
        append(t.day, 2, &out); out.append(UInt8(ascii: " ")); append(t.hour, 2, &out); out.append(UInt8(ascii: ":"))
        append(t.minute, 2, &out); out.append(UInt8(ascii: ":")); append(t.second, 2, &out)
        if !t.fraction.isEmpty { out.append(UInt8(ascii: ".")); out += v[t.fraction] }
        out.append(t.offsetSign); append(t.offsetHours, 2, &out); out.append(UInt8(ascii: ":")); append(t.offsetMinutes, 2, &out)
        return true
    }

    public static func isTimestamp(_ v: UnsafeBufferPointer<UInt8>) -> Bool { parse(v) != nil }

    struct Parts {
        var year = 0, month = 1, day = 1, hour = 0, minute = 0, second = 0
        var fraction: Range<Int> = 0..<0   // of the input
        var offsetSign: UInt8 = UInt8(ascii: "+")
        var offsetHours = 0, offsetMinutes = 0
    }

    static func parse(_ v: UnsafeBufferPointer<UInt8>) -> Parts? {
        var s = Scanner(v)
        s.skipSpaces()
        guard let year = s.digits(4) else { return nil }
        let iso = s.peek == UInt8(ascii: "-")
        var month = 1, day = 1, hour = 0, minute = 0, second = 0
        var fraction: Range<Int> = 0..<0
        var offsetSign: UInt8 = UInt8(ascii: "+")
        var offsetHours = 0, offsetMinutes = 0
        if iso {
            guard s.take("-"), let m = s.digits(2), s.take("-"), let d = s.digits(2) else { return nil }
            month = m; day = d
            if s.take("T") || s.take(" ") {
                guard let h = s.digits(2), s.take(":"), let mi = s.digits(2) else { return nil }
                hour = h; minute = mi
                if s.take(":") {
                    guard let se = s.digits(2) else { return nil }
                    second = se
                    if s.take(".") { fraction = s.digitRun(max: 9); if fraction.isEmpty { return nil } }
                }
            }
            if s.take("Z") {
            } else if let sign = s.sign() {
                guard let oh = s.digits(2) else { return nil }
                offsetSign = sign; offsetHours = oh
                _ = s.take(":")
                if let om = s.digits(2) { offsetMinutes = om } else if !s.atEnd { return nil }
            }
        } else {
            // HL7: each part optional from the right.
            if let m = s.digits(2) {
                month = m
                if let d = s.digits(2) {
                    day = d
                    if let h = s.digits(2) {
                        hour = h
                        if let mi = s.digits(2) {
                            minute = mi
                            if let se = s.digits(2) {
                                second = se
                                if s.take(".") { fraction = s.digitRun(max: 4); if fraction.isEmpty { return nil } }
                            }
                        }
                    }
                }
            }
            if let sign = s.sign() {
                guard let oh = s.digits(2), let om = s.digits(2) else { return nil }
                offsetSign = sign; offsetHours = oh; offsetMinutes = om
            }
        }
        s.skipSpaces()
        guard s.atEnd, (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day),
              (0...23).contains(hour), (0...59).contains(minute), (0...59).contains(second),
              (0...14).contains(offsetHours), (0...59).contains(offsetMinutes), year >= 1
        else { return nil }
        return Parts(year: year, month: month, day: day, hour: hour, minute: minute, second: second, fraction: fraction,
                     offsetSign: offsetSign, offsetHours: offsetHours, offsetMinutes: offsetMinutes)
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// `n` in `width` digits, zero-padded (`n` is range-checked to fit).
    static func append(_ n: Int, _ width: Int, _ out: inout [UInt8]) {
        var divisor = 1
        for _ in 1..<width { divisor *= 10 }
        while divisor > 0 {
            out.append(UInt8(ascii: "0") + UInt8(n / divisor % 10))
            divisor /= 10
        }
    }

    struct Scanner {
        let v: UnsafeBufferPointer<UInt8>
        var i = 0
        init(_ v: UnsafeBufferPointer<UInt8>) { self.v = v }
        var atEnd: Bool { i == v.count }
        var peek: UInt8? { i < v.count ? v[i] : nil }
        mutating func skipSpaces() { while i < v.count, v[i] == 0x20 || v[i] == 0x09 { i += 1 } }
        mutating func take(_ c: Unicode.Scalar) -> Bool {
            guard peek == UInt8(ascii: c) else { return false }
            i += 1
            return true
        }
        mutating func sign() -> UInt8? {
            guard let p = peek, p == UInt8(ascii: "+") || p == UInt8(ascii: "-") else { return nil }
            i += 1
            return p
        }
        mutating func digits(_ n: Int) -> Int? {
            guard i + n <= v.count else { return nil }
            var value = 0
            for k in i..<(i + n) {
                guard v[k] >= 0x30, v[k] <= 0x39 else { return nil }
                value = value * 10 + Int(v[k] - 0x30)
            }
            i += n
            return value
        }
        mutating func digitRun(max: Int) -> Range<Int> {
            let start = i
            while i < v.count, i - start < max, v[i] >= 0x30, v[i] <= 0x39 { i += 1 }
            return start..<i
        }
    }
}

/// Numbers for `derive: number` (a numeric column beside a text one).
public enum NumberSyntax {
    /// Whether PostgreSQL's numeric will accept the value as it is.
    public static func isDecimal(_ v: UnsafeBufferPointer<UInt8>) -> Bool { ValueSyntax.number(v) != nil }
}
