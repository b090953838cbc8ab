/// ZIP codes under each profile (cases G1–G9, L1).
///
/// A value is read as a US ZIP code when the country is absent, empty, or a US
/// designation (`US`, `USA`, `840`, `United States`, `United States of America`,
/// any case). It must then be `DDDDD`, `DDDDD-DDDD` or `DDDDDDDDD` (surrounding
/// whitespace ignored); anything else — `3601` from a CSV that lost a leading
/// zero (G7), letters, six digits — is a `postalCodeFormat` rejection: the caller
/// quarantines the record, the rule never pads or guesses.
///
/// - Safe Harbor: the first three digits, or `000` when the table restricts
///   them (G1–G6); the +4 never survives.
/// - Limited Data Set: the five-digit ZIP (L1); the +4 is dropped too (the rule
///   allows a five-digit ZIP code, nothing finer).
/// - Both: a postal code of another country is suppressed (nil, G8), whatever
///   its shape; an empty or absent value is nil (G9).
public struct PostalCodeRule: Sendable {
    public let table: ZIP3Table

    public init(table: ZIP3Table) { self.table = table }

    /// The value of the output column under `profile`.
    public func apply(_ zip: String?, country: String? = nil, profile: DeidProfile) throws(DeidValueRejection) -> String? {
        switch profile {
        case .safeHarbor: return try zip3(zip, country: country)
        case .limitedDataSet: return try PostalCodeRule.zip5(zip, country: country)
        }
    }

    /// Safe Harbor: `980` for `98052`, `000` for a restricted prefix, nil for no or a non-US value.
    public func zip3(_ zip: String?, country: String? = nil) throws(DeidValueRejection) -> String? {
        guard let five = try PostalCodeRule.zip5(zip, country: country) else { return nil }
        let prefix = String(five.prefix(3))
        return table.isRestricted(prefix) ? "000" : prefix
    }

    /// Limited Data Set: the five-digit ZIP, nil for no or a non-US value.
    public static func zip5(_ zip: String?, country: String? = nil) throws(DeidValueRejection) -> String? {
        guard isUnitedStates(country) else { return nil }
        guard let zip else { return nil }
        let b = Array(zip.trimmingASCIIWhitespace().utf8)
        if b.isEmpty { return nil }
        func digits(_ r: Range<Int>) -> Bool { b[r].allSatisfy { (0x30...0x39).contains($0) } }
        let valid = (b.count == 5 && digits(0..<5))
            || (b.count == 9 && digits(0..<9))
            || (b.count == 10 && digits(0..<5) && b[5] == 0x2D && digits(6..<10))
        guard valid else { throw DeidValueRejection(.postalCodeFormat) }
        return String(decoding: b[0..<5], as: UTF8.self)
    }

    /// Whether a country value means the United States (absent or empty does:
    /// a ZIP column without a country is a US column). Anything not recognised is
    /// treated as another country, so its postal code is suppressed (fail-safe).
    public static func isUnitedStates(_ country: String?) -> Bool {
        guard let country else { return true }
        let c = country.trimmingASCIIWhitespace().uppercased()
        return c.isEmpty || unitedStatesNames.contains(c)
    }

    static let unitedStatesNames: Set<String> = ["US", "USA", "840", "UNITED STATES", "UNITED STATES OF AMERICA"]
}
