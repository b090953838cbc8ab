/// A date as a clinical source writes it, to the precision it was written:
/// a year, a month, or a day. Times and zones are validated, then discarded
/// (no rule here needs them, and Safe Harbor removes them).
///
/// Read forms (surrounding whitespace ignored):
/// - `YYYY`, `YYYY-MM`, `YYYY-MM-DD`;
/// - ISO 8601 date-time: `YYYY-MM-DD(T| )HH:MM[:SS[.f…]]` then optionally `Z`,
///   `±HH`, `±HHMM` or `±HH:MM` (PostgreSQL writes `+00`);
/// - HL7 v2 / CDA TS: `YYYY[MM[DD[HH[MM[SS[.S{1,4}]]]]]][±HHMM]`.
///
/// The calendar parts are the ones written (the local date where the event
/// happened), not shifted to UTC. Anything else is a `dateFormat` rejection.
public struct PartialDate: Hashable, Sendable {
    public enum Precision: Int, Sendable, Comparable {
        case year, month, day
        public static func < (a: Precision, b: Precision) -> Bool { a.rawValue < b.rawValue }
    }

    public let year: Int
    /// 1...12 when precision is month or day.
    public let month: Int?
    /// 1...31 when precision is day.
    public let day: Int?

    public var precision: Precision {
        day != nil ? .day : (month != nil ? .month : .year)
    }

    /// The day itself when known to the day.
    public var calendarDate: CalendarDate? {
        guard let month, let day else { return nil }
        return CalendarDate(year: year, month: month, day: day)
    }

    /// The first day the value can mean (`1980` → 1980-01-01).
    public var earliest: CalendarDate {
        CalendarDate(year: year, month: month ?? 1, day: day ?? 1)!
    }

    /// The last day the value can mean (`1980-02` → 1980-02-29).
    public var latest: CalendarDate {
        let m = month ?? 12
        return CalendarDate(year: year, month: m, day: day ?? CalendarDate.daysIn(month: m, year: year))!
    }

    public init(parsing text: String) throws(DeidValueRejection) {
        guard let parsed = PartialDate.parse(Array(text.trimmingASCIIWhitespace().utf8)) else {
            throw DeidValueRejection(.dateFormat)
        }
        self = parsed
    }

    private init(year: Int, month: Int?, day: Int?) {
        self.year = year
        self.month = month
        self.day = day
    }

    private static func parse(_ b: [UInt8]) -> PartialDate? {
        var s = Cursor(b)
        guard let year = s.digits(4), year >= 1 else { return nil }
        var month: Int?, day: Int?
        if s.peek == 0x2D {  // ISO
            s.advance()
            guard let m = s.digits(2) else { return nil }
            month = m
            if s.take(0x2D) {
                guard let d = s.digits(2) else { return nil }
                day = d
                if s.take(0x54) || s.take(0x20) {  // T or space
                    guard let h = s.digits(2), h <= 23, s.take(0x3A), let mi = s.digits(2), mi <= 59 else { return nil }
                    if s.take(0x3A) {
                        guard let se = s.digits(2), se <= 59 else { return nil }
                        if s.take(0x2E) { guard s.digitRun() > 0 else { return nil } }
                    }
                    if !s.take(0x5A) {  // Z
                        if s.takeSign() {
                            guard let oh = s.digits(2), oh <= 14 else { return nil }
                            if s.take(0x3A) || !s.atEnd { guard let om = s.digits(2), om <= 59 else { return nil } }
                        }
                    }
                }
            }
        } else {  // HL7 TS: each part optional from the right
            if let m = s.digits(2) {
                month = m
                if let d = s.digits(2) {
                    day = d
                    if let h = s.digits(2) {
                        guard h <= 23 else { return nil }
                        if let mi = s.digits(2) {
                            guard mi <= 59 else { return nil }
                            if let se = s.digits(2) {
                                guard se <= 59 else { return nil }
                                if s.take(0x2E) { guard (1...4).contains(s.digitRun()) else { return nil } }
                            }
                        }
                    }
                }
            }
            if s.takeSign() {
                guard let oh = s.digits(2), oh <= 14, let om = s.digits(2), om <= 59 else { return nil }
            }
        }
        guard s.atEnd else { return nil }
        if let month {
            guard (1...12).contains(month) else { return nil }
            if let day { guard CalendarDate(year: year, month: month, day: day) != nil else { return nil } }
        }
        return PartialDate(year: year, month: month, day: day)
    }

    private struct Cursor {
        let bytes: [UInt8]
        var index = 0
        init(_ bytes: [UInt8]) { self.bytes = bytes }
        var atEnd: Bool { index == bytes.count }
        var peek: UInt8? { atEnd ? nil : bytes[index] }
        mutating func advance() { index += 1 }
        mutating func take(_ c: UInt8) -> Bool {
            guard peek == c else { return false }
            index += 1
            return true
        }
        mutating func takeSign() -> Bool { take(0x2B) || take(0x2D) }
        /// Exactly `n` digits, or nothing consumed.
        mutating func digits(_ n: Int) -> Int? {
            guard index + n <= bytes.count, let v = CalendarDate.number(bytes[index..<index + n]) else { return nil }
            index += n
            return v
        }
        /// Consumes a run of digits; returns its length.
        mutating func digitRun() -> Int {
            let start = index
            while let c = peek, (0x30...0x39).contains(c) { index += 1 }
            return index - start
        }
    }
}
