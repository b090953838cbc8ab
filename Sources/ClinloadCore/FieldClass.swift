/// How sensitive a source field is. Every input field must carry one: an input
/// field without a classification stops the batch (default deny).
public enum FieldClass: String, Sendable, Codable, CaseIterable {
    /// Names, record numbers, SSNs, street addresses, phone numbers...: encrypted in
    /// the identity vault, never in a clinical table, never exported.
    case directIdentifier = "direct_identifier"
    /// Birth date, ZIP, sex, race...: encrypted in the vault; a generalised form
    /// (birth year, ZIP3) may be copied to clinical tables.
    case quasiIdentifier = "quasi_identifier"
    /// Codes, results, amounts: clinical tables.
    case clinical
    /// Message metadata (type, sending facility): batch and audit metadata only.
    case operational

    /// Whether values of this class may be written to a clinical table as they are.
    public var mayEnterClinicalVerbatim: Bool { self == .clinical }
}
