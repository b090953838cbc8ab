/// The de-identification standard an extract is released under.
///
/// - Safe Harbor (45 CFR 164.514(b)(2)): the 18 identifiers removed or generalised.
/// - Limited Data Set (164.514(e)): direct identifiers removed; dates, city, state,
///   five-digit ZIP and ages kept; only under a data use agreement, whose id the
///   profile carries. Build it through `init(name:duaId:)` or check it with
///   `validated()`: a blank DUA id is refused (case L7). `DeidPolicy` validates too.
public enum DeidProfile: Hashable, Sendable {
    case safeHarbor
    case limitedDataSet(duaId: String)

    /// From an extract spec: `safe-harbor` or `limited-data-set` (which needs `duaId`).
    /// A DUA id given with `safe-harbor` is not recorded: Safe Harbor needs none.
    public init(name: String, duaId: String?) throws(DeidConfigurationError) {
        switch name {
        case "safe-harbor":
            self = .safeHarbor
        case "limited-data-set":
            self = try DeidProfile.limitedDataSet(duaId: duaId ?? "").validated()
        default:
            throw .unknownProfile(name)
        }
    }

    /// The profile itself, or `dataUseAgreementMissing` for a Limited Data Set whose
    /// DUA id is empty, blank, or contains control characters.
    public func validated() throws(DeidConfigurationError) -> DeidProfile {
        guard case .limitedDataSet(let duaId) = self else { return self }
        let trimmed = duaId.trimmingASCIIWhitespace()
        guard !trimmed.isEmpty, !trimmed.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F })
        else { throw .dataUseAgreementMissing }
        return .limitedDataSet(duaId: trimmed)
    }

    /// The spec / manifest name.
    public var name: String {
        switch self {
        case .safeHarbor: return "safe-harbor"
        case .limitedDataSet: return "limited-data-set"
        }
    }

    /// The data use agreement id (Limited Data Set only).
    public var duaId: String? {
        if case .limitedDataSet(let id) = self { return id }
        return nil
    }

    public var isSafeHarbor: Bool { self == .safeHarbor }
}
