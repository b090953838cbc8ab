/// What an extract column holds, as far as de-identification is concerned. Every
/// column of an extract has exactly one; `DeidPolicy` turns it into a transform.
///
/// Spec names: `direct_identifier:<kind>` (a bare `direct_identifier` is an
/// `other_unique_identifier`), `quasi_identifier:<kind>`, `clinical`,
/// `clinical_non_personal_date`, `free_text`.
public enum ColumnClass: Hashable, Sendable {
    /// Never released (`IdentifierKind`).
    case directIdentifier(IdentifierKind)
    /// Generalised, kept or removed by its kind's rule.
    case quasiIdentifier(QuasiIdentifierKind)
    /// Codes, results, amounts: kept.
    case clinical
    /// A date that is not about the individual (a reagent lot's expiry, a code
    /// system version date): kept as written in both profiles (D15). Must be
    /// declared; an unclassified date column is a personal date.
    case clinicalNonPersonalDate
    /// Notes, comments, OBX text: dropped unless the extract enables scrubbing.
    case freeText

    public init?(specName: String) {
        let parts = specName.split(separator: ":", maxSplits: 1).map(String.init)
        switch (parts.first ?? "", parts.count == 2 ? parts[1] : nil) {
        case ("direct_identifier", nil): self = .directIdentifier(.otherUniqueIdentifier)
        case ("direct_identifier", let kind?):
            guard let k = IdentifierKind(rawValue: kind) else { return nil }
            self = .directIdentifier(k)
        case ("quasi_identifier", let kind?):
            guard let k = QuasiIdentifierKind(rawValue: kind) else { return nil }
            self = .quasiIdentifier(k)
        case ("clinical", nil): self = .clinical
        case ("clinical_non_personal_date", nil): self = .clinicalNonPersonalDate
        case ("free_text", nil): self = .freeText
        default: return nil
        }
    }

    public var specName: String {
        switch self {
        case .directIdentifier(let kind): return "direct_identifier:\(kind.rawValue)"
        case .quasiIdentifier(let kind): return "quasi_identifier:\(kind.rawValue)"
        case .clinical: return "clinical"
        case .clinicalNonPersonalDate: return "clinical_non_personal_date"
        case .freeText: return "free_text"
        }
    }

    /// Every class, for tests and documentation.
    public static let allCases: [ColumnClass] =
        IdentifierKind.allCases.map { .directIdentifier($0) }
        + QuasiIdentifierKind.allCases.map { .quasiIdentifier($0) }
        + [.clinical, .clinicalNonPersonalDate, .freeText]
}
