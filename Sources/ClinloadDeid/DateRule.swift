/// Dates directly related to the individual (admission, discharge, death, service,
/// result...; cases D2–D4, L5). Birth dates go through `AgeRule`, which also
/// derives the age.
///
/// - Safe Harbor: the year alone (`2024-03-15T14:22:00-05:00` → `2024`); month,
///   day, time and zone are removed (45 CFR 164.514(b)(2)(i)(C)).
/// - Limited Data Set: the value as written, once it reads as a date.
///
/// Either way an unreadable value is a `dateFormat` rejection (quarantine), and
/// an empty or absent value stays nil.
public enum DateRule {
    public static func apply(_ value: String?, profile: DeidProfile) throws(DeidValueRejection) -> String? {
        guard let value, !value.trimmingASCIIWhitespace().isEmpty else { return nil }
        let date = try PartialDate(parsing: value)
        switch profile {
        case .safeHarbor: return String(date.year)
        case .limitedDataSet: return value
        }
    }

    /// The year of a date in any form `PartialDate` reads.
    public static func year(of value: String) throws(DeidValueRejection) -> Int {
        try PartialDate(parsing: value).year
    }
}
