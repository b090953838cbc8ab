import ClinloadCore

/// Why a de-identification rule refused one value. The caller quarantines the
/// record (`quarantineReason(field:)`); a rule never guesses a repair.
///
/// Like every clinload error it carries a rule name only, never the value.
public struct DeidValueRejection: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Rule: String, Sendable, CaseIterable {
        /// Not a five-digit US ZIP code (`DDDDD`, `DDDDD-DDDD` or `DDDDDDDDD`), e.g. `3601` (G7).
        case postalCodeFormat = "deid_postal_code"
        /// Not a date this engine reads (YYYY, YYYY-MM, YYYY-MM-DD, ISO date-time, HL7 TS).
        case dateFormat = "deid_date"
        /// Not an age this engine reads (`N` years, or `N` with a unit: years, months, weeks, days).
        case ageFormat = "deid_age"
        /// A birth date after the reference date: no age can be computed.
        case birthAfterReferenceDate = "deid_birth_after_reference_date"
    }

    public var rule: Rule

    public init(_ rule: Rule) { self.rule = rule }

    /// The quarantine entry for the record this value came from.
    public func quarantineReason(field: String, line: Int? = nil) -> QuarantineReason {
        QuarantineReason(field: field, rule: rule.rawValue, line: line)
    }

    public var description: String { rule.rawValue }
}
