/// What an extract does to one source column: the manifest lists it per column,
/// and `outputColumns(source:)` names the columns it writes (none for `drop`).
public enum ColumnTransform: String, Sendable, CaseIterable {
    /// Not in the extract.
    case drop
    /// Written as it is.
    case keep
    /// A date reduced to its year: column `<name>_year` (`admit_date` → `admit_year`).
    case year
    /// Safe Harbor ZIP: the three-digit prefix or `000`: column `zip3`
    /// (`home_zip` → `home_zip3`).
    case zip3
    /// Limited Data Set ZIP: five digits, +4 dropped: the column's own name.
    case zip5
    /// Safe Harbor birth date: columns `birth_year`, `age`, `age_group`.
    case birthYearAndAge = "birth_year_and_age"
    /// Limited Data Set birth date: the column as written, and `age`.
    case birthDateAndAge = "birth_date_and_age"
    /// Safe Harbor stated age: `<name>` (years 0–89), `<name>_group` (`90+`),
    /// `<name>_months`, `<name>_weeks`, `<name>_days`.
    case ageTopCoded = "age_top_coded"
    /// Free text through the scrubber: the column's own name.
    case scrubFreeText = "scrub_free_text"

    /// The output column names, in order, for source column `source`.
    public func outputColumns(source: String) -> [String] {
        switch self {
        case .drop: return []
        case .keep, .zip5, .scrubFreeText: return [source]
        case .year: return [ColumnTransform.yearColumn(source)]
        case .zip3: return [ColumnTransform.zip3Column(source)]
        case .birthYearAndAge: return ["birth_year", "age", "age_group"]
        case .birthDateAndAge: return [source, "age"]
        case .ageTopCoded: return [source, "\(source)_group", "\(source)_months", "\(source)_weeks", "\(source)_days"]
        }
    }

    static let dateSuffixes = ["_datetime", "_timestamp", "_date", "_time", "_dttm", "_dt", "_ts", "_at", "_on"]
    static let zipSuffixes = ["postal_code", "postalcode", "postcode", "zip_code", "zipcode", "zip"]

    /// `admit` → `admit_year`, `admit_date` → `admit_year`, `death_datetime` → `death_year`.
    static func yearColumn(_ source: String) -> String {
        let lower = source.lowercased()
        for suffix in dateSuffixes where lower.hasSuffix(suffix) && lower.count > suffix.count {
            return String(source.dropLast(suffix.count)) + "_year"
        }
        return source + "_year"
    }

    /// `zip` → `zip3`, `home_zip_code` → `home_zip3`, `postcode` → `zip3`, `x` → `x_zip3`.
    static func zip3Column(_ source: String) -> String {
        let lower = source.lowercased()
        for suffix in zipSuffixes where lower.hasSuffix(suffix) {
            return String(source.dropLast(suffix.count)) + "zip3"
        }
        return source + "_zip3"
    }
}
