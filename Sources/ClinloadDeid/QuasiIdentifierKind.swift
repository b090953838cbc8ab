/// Values that identify in combination: generalised or removed by Safe Harbor,
/// mostly kept by a Limited Data Set, each by its own rule.
public enum QuasiIdentifierKind: String, Sendable, CaseIterable {
    /// The patient's birth date: birth year and age (`AgeRule`).
    case birthDate = "birth_date"
    /// Any other date of the individual — admission, discharge, death, service (`DateRule`).
    case eventDate = "event_date"
    /// A stated age (`AgeRule.safeHarborAge`).
    case age
    /// ZIP code (`PostalCodeRule`).
    case zip
    /// Street address lines.
    case street
    case city
    /// County name.
    case county
    /// Geocodes smaller than a state: county FIPS, census tract or block,
    /// precinct, latitude / longitude (G12, G13).
    case geocode
    case state
    case country
    case sex
    case race
    case ethnicity
    case maritalStatus = "marital_status"
}
