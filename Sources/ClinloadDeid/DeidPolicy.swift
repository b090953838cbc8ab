/// The de-identification rules of one extract: the profile, the ZIP3 table, the
/// reference date for ages and whether free text is scrubbed. Decides the
/// transform of every column class and applies it to a value. Pure: the only
/// I/O is loading the ZIP3 table, before.
public struct DeidPolicy: Sendable {
    public let profile: DeidProfile
    public let zip3Table: ZIP3Table
    /// The date ages are computed at (DEID_CASES convention: the extract date).
    public let referenceDate: CalendarDate
    /// Free-text columns go to the scrubber instead of being dropped.
    public let scrubsFreeText: Bool

    /// Refuses a Limited Data Set profile without a data use agreement id (L7).
    public init(profile: DeidProfile, zip3Table: ZIP3Table, referenceDate: CalendarDate, scrubsFreeText: Bool = false)
        throws(DeidConfigurationError)
    {
        self.profile = try profile.validated()
        self.zip3Table = zip3Table
        self.referenceDate = referenceDate
        self.scrubsFreeText = scrubsFreeText
    }

    /// The transform for a column of class `columnClass` under `profile`.
    ///
    /// `holdsDates`: the column's type is a date or timestamp. A date column
    /// classified `clinical` is treated as a personal date (`event_date`): only
    /// `clinical_non_personal_date` keeps a date whole (D15, fail-safe).
    public static func transform(
        for columnClass: ColumnClass, profile: DeidProfile, holdsDates: Bool = false, scrubsFreeText: Bool = false
    ) -> ColumnTransform {
        let safeHarbor = profile.isSafeHarbor
        switch columnClass {
        case .directIdentifier:
            return .drop
        case .clinical:
            if holdsDates { return transform(for: .quasiIdentifier(.eventDate), profile: profile) }
            return .keep
        case .clinicalNonPersonalDate:
            return .keep
        case .freeText:
            return scrubsFreeText ? .scrubFreeText : .drop
        case .quasiIdentifier(let kind):
            switch kind {
            case .birthDate: return safeHarbor ? .birthYearAndAge : .birthDateAndAge
            case .eventDate: return safeHarbor ? .year : .keep
            case .age: return safeHarbor ? .ageTopCoded : .keep
            case .zip: return safeHarbor ? .zip3 : .zip5
            case .city: return safeHarbor ? .drop : .keep
            case .street, .county, .geocode: return .drop
            case .state, .country, .sex, .race, .ethnicity, .maritalStatus: return .keep
            }
        }
    }

    public func transform(for columnClass: ColumnClass, holdsDates: Bool = false) -> ColumnTransform {
        DeidPolicy.transform(for: columnClass, profile: profile, holdsDates: holdsDates, scrubsFreeText: scrubsFreeText)
    }

    /// The output values for one source value, aligned with
    /// `transform(for:holdsDates:).outputColumns(source:)` (empty for `drop`).
    /// `country` is the record's country, for a ZIP column. A value a rule cannot
    /// read throws: quarantine the record. Free text to be scrubbed is not handled
    /// here (a precondition): give it to the scrubber.
    public func apply(
        _ value: String?, as columnClass: ColumnClass, holdsDates: Bool = false, country: String? = nil
    ) throws(DeidValueRejection) -> [String?] {
        switch transform(for: columnClass, holdsDates: holdsDates) {
        case .drop:
            return []
        case .keep:
            return [value]
        case .year:
            return [try DateRule.apply(value, profile: .safeHarbor)]
        case .zip3:
            return [try PostalCodeRule(table: zip3Table).zip3(value, country: country)]
        case .zip5:
            return [try PostalCodeRule.zip5(value, country: country)]
        case .birthYearAndAge, .birthDateAndAge:
            let outcome = try AgeRule(referenceDate: referenceDate).birthDate(value, profile: profile)
            if profile.isSafeHarbor {
                return [outcome.birthYear.map(String.init), outcome.age.map(String.init), outcome.ageGroup]
            }
            return [outcome.birthDate, outcome.age.map(String.init)]
        case .ageTopCoded:
            let o = try AgeRule.safeHarborAge(value)
            return [o.years, nil, o.months, o.weeks, o.days].enumerated().map { index, number in
                index == 1 ? o.ageGroup : number.map(String.init)
            }
        case .scrubFreeText:
            preconditionFailure("free text is scrubbed by the free-text scrubber, not by DeidPolicy.apply")
        }
    }

    /// The rule settings an extract manifest records, in a fixed order.
    public var conventions: [(name: String, value: String)] {
        var out: [(String, String)] = [("profile", profile.name)]
        if let dua = profile.duaId { out.append(("dua_id", dua)) }
        out += [
            ("reference_date", referenceDate.description),
            ("zip3_table", zip3Table.name),
            ("zip3_table_sha256", zip3Table.digest),
            ("age_over_89", AgeRule.ageGroupLabel),
            ("leap_day_birthday", "03-01"),
            ("free_text", scrubsFreeText ? "scrub" : "drop"),
        ]
        return out
    }
}
