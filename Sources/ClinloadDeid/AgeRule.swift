/// Ages, from a birth date or as stated, at a reference date (cases D1, D5–D12, L4).
///
/// Safe Harbor (164.514(b)(2)(i)(C)): an age over 89 is reported only as the
/// group `90+`, and the birth year — which would indicate that age — is then
/// suppressed. The years of the patient's other events stay (D12). Ages of 89 or
/// less are not restricted, in any unit (D10).
///
/// Leap-day convention (D11): someone born on 29 February has their birthday on
/// 1 March in common years — an age is the number of whole years whose
/// anniversary (month, day) has been reached, compared as numbers, so 02-29 is
/// not reached on 02-28. Born 1936-02-29: 89 on 2026-02-28, 90 on 2026-03-01.
///
/// Limited Data Set: the birth date is kept as written, and the age at the
/// reference date is given in full, over 89 too (L4).
public struct AgeRule: Sendable {
    /// The oldest age reported as a number under Safe Harbor.
    public static let oldestReportedAge = 89
    /// What replaces an age over 89 under Safe Harbor.
    public static let ageGroupLabel = "90+"

    /// The date ages are computed at (the extract's reference date).
    public let referenceDate: CalendarDate

    public init(referenceDate: CalendarDate) { self.referenceDate = referenceDate }

    /// Whole years from `birth` to `date` (nil when `date` is before `birth`), with
    /// the leap-day convention above.
    public static func completedYears(bornOn birth: CalendarDate, on date: CalendarDate) -> Int? {
        guard birth <= date else { return nil }
        let reached = (date.month, date.day) >= (birth.month, birth.day)
        return date.year - birth.year - (reached ? 0 : 1)
    }

    // MARK: birth dates

    /// The age in full at the reference date (not top-coded: for cohort filters,
    /// never for output); nil when absent or when a year- or month-precision birth
    /// date leaves it open.
    public func age(birthDate value: String?) throws(DeidValueRejection) -> Int? {
        guard let value, !value.trimmingASCIIWhitespace().isEmpty else { return nil }
        let date = try PartialDate(parsing: value)
        guard let oldest = AgeRule.completedYears(bornOn: date.earliest, on: referenceDate) else {
            throw DeidValueRejection(.birthAfterReferenceDate)
        }
        return oldest == AgeRule.completedYears(bornOn: date.latest, on: referenceDate) ? oldest : nil
    }

    /// What a birth date becomes: Safe Harbor output columns `birth_year`, `age`,
    /// `age_group`; Limited Data Set output columns `<birth date column>`, `age`.
    public struct BirthDateOutcome: Hashable, Sendable {
        /// Safe Harbor: the birth year, nil for 90+.
        public var birthYear: Int?
        /// Limited Data Set: the birth date as written.
        public var birthDate: String?
        /// Whole years at the reference date; nil for 90+ under Safe Harbor, and
        /// when a birth date known only to the year or month leaves it open.
        public var age: Int?
        /// `90+` under Safe Harbor for an age over 89, else nil.
        public var ageGroup: String?

        public init(birthYear: Int? = nil, birthDate: String? = nil, age: Int? = nil, ageGroup: String? = nil) {
            self.birthYear = birthYear
            self.birthDate = birthDate
            self.age = age
            self.ageGroup = ageGroup
        }
    }

    /// A birth date in any form `PartialDate` reads. A date known only to the
    /// year or month is aged conservatively: `90+` if its earliest possible day
    /// would be 90 or more, `age` only when every possible day gives the same
    /// age. A birth date after the reference date is a rejection.
    public func birthDate(_ value: String?, profile: DeidProfile) throws(DeidValueRejection) -> BirthDateOutcome {
        guard let value, !value.trimmingASCIIWhitespace().isEmpty else { return BirthDateOutcome() }
        let date = try PartialDate(parsing: value)
        guard let oldest = AgeRule.completedYears(bornOn: date.earliest, on: referenceDate) else {
            throw DeidValueRejection(.birthAfterReferenceDate)
        }
        let age = try self.age(birthDate: value)
        switch profile {
        case .limitedDataSet:
            return BirthDateOutcome(birthDate: value, age: age)
        case .safeHarbor:
            if oldest > AgeRule.oldestReportedAge {
                return BirthDateOutcome(ageGroup: AgeRule.ageGroupLabel)
            }
            return BirthDateOutcome(birthYear: date.year, age: age)
        }
    }

    // MARK: stated ages

    /// The units an age can be stated in.
    public enum Unit: String, Sendable, CaseIterable {
        case years, months, weeks, days
    }

    /// What a stated age becomes under Safe Harbor: output columns `<age column>`
    /// (whole years 0–89), `<age column>_group` (`90+`), and `<age column>_months`,
    /// `_weeks`, `_days` for an age stated in that unit, kept in it.
    public struct StatedAgeOutcome: Hashable, Sendable {
        public var years: Int?
        public var ageGroup: String?
        public var months: Int?
        public var weeks: Int?
        public var days: Int?

        public init(years: Int? = nil, ageGroup: String? = nil, months: Int? = nil, weeks: Int? = nil, days: Int? = nil) {
            self.years = years
            self.ageGroup = ageGroup
            self.months = months
            self.weeks = weeks
            self.days = days
        }
    }

    /// A stated age under Safe Harbor: `89` stays (D8), `90`/`104` become `90+`
    /// (D9), `18 months` stays as 18 months (D10) — unless the age in that unit
    /// could be 90 years or more (1080 months; 32,871 days, the fewest days 90
    /// years can have; a week counts as its last day), which is `90+`.
    /// Read: a whole number, alone (years) or with a unit — `y`, `yr(s)`,
    /// `year(s)`, `a`; `mo`, `mos`, `month(s)`; `w`, `wk(s)`, `week(s)`; `d`,
    /// `day(s)` — with or without a space, any case. Anything else (decimals,
    /// `m`, hours, negative numbers) is an `ageFormat` rejection.
    public static func safeHarborAge(_ value: String?) throws(DeidValueRejection) -> StatedAgeOutcome {
        guard let value, !value.trimmingASCIIWhitespace().isEmpty else { return StatedAgeOutcome() }
        let (number, unit) = try parseStatedAge(value)
        let ninetyPlus = StatedAgeOutcome(ageGroup: ageGroupLabel)
        switch unit {
        case .years:
            return number > oldestReportedAge ? ninetyPlus : StatedAgeOutcome(years: number)
        case .months:
            return number >= (oldestReportedAge + 1) * 12 ? ninetyPlus : StatedAgeOutcome(months: number)
        case .weeks:
            return number * 7 + 6 >= fewestDaysInNinetyYears ? ninetyPlus : StatedAgeOutcome(weeks: number)
        case .days:
            return number >= fewestDaysInNinetyYears ? ninetyPlus : StatedAgeOutcome(days: number)
        }
    }

    /// 90 × 365 plus the fewest leap days 90 consecutive years hold (21).
    static let fewestDaysInNinetyYears = 90 * 365 + 21

    /// A stated age as a whole number and a unit.
    public static func parseStatedAge(_ value: String) throws(DeidValueRejection) -> (Int, Unit) {
        let b = Array(value.trimmingASCIIWhitespace().utf8)
        var i = 0
        var number = 0
        while i < b.count, (0x30...0x39).contains(b[i]) {
            number = number * 10 + Int(b[i] - 0x30)
            i += 1
            guard number <= 1_000_000 else { throw DeidValueRejection(.ageFormat) }
        }
        guard i > 0 else { throw DeidValueRejection(.ageFormat) }
        while i < b.count, b[i] == 0x20 { i += 1 }
        let word = String(decoding: b[i...], as: UTF8.self).lowercased()
        guard let unit = unitWords[word] else { throw DeidValueRejection(.ageFormat) }
        return (number, unit)
    }

    static let unitWords: [String: Unit] = [
        "": .years, "y": .years, "yr": .years, "yrs": .years, "year": .years, "years": .years, "a": .years,
        "mo": .months, "mos": .months, "month": .months, "months": .months,
        "w": .weeks, "wk": .weeks, "wks": .weeks, "week": .weeks, "weeks": .weeks,
        "d": .days, "day": .days, "days": .days,
    ]
}
