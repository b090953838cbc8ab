/// A proleptic Gregorian calendar date, converted to and from a day count.
///
/// Why not `Foundation.Calendar`/`DateFormatter`: they are slow in a per-row loop,
/// depend on time zones and locale data, and their output could differ between
/// platforms. These are Howard Hinnant's public-domain `days_from_civil` /
/// `civil_from_days` algorithms: integer-only, exact, branch-light.
struct CivilDate: Hashable, Sendable {
    var year: Int
    var month: Int  // 1...12
    var day: Int    // 1...31

    init(year: Int, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    /// The date `days` days after 1970-01-01 (negative before it).
    init(days: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097                                    // [0, 146096]
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365 // [0, 399]
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)              // [0, 365]
        let mp = (5 * doy + 2) / 153                                   // [0, 11]
        day = doy - (153 * mp + 2) / 5 + 1
        month = mp < 10 ? mp + 3 : mp - 9
        year = yoe + era * 400 + (month <= 2 ? 1 : 0)
    }

    /// Days since 1970-01-01 (negative before it).
    var daysSinceEpoch: Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400                                        // [0, 399]
        let mp = month > 2 ? month - 3 : month + 9                     // [0, 11]
        let doy = (153 * mp + 2) / 5 + day - 1                         // [0, 365]
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy                // [0, 146096]
        return era * 146_097 + doe - 719_468
    }

    static func isLeap(_ year: Int) -> Bool {
        year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
    }

    static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }
}

extension CSVLineWriter {
    /// Appends `YYYY-MM-DD` (years 0...9999).
    @inline(__always)
    mutating func append(date: CivilDate) {
        append(decimal: UInt64(date.year), minDigits: 4)
        append(byte: 0x2D)  // "-"
        append(decimal: UInt64(date.month), minDigits: 2)
        append(byte: 0x2D)
        append(decimal: UInt64(date.day), minDigits: 2)
    }
}
