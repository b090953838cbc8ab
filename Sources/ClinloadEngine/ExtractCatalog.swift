import ClinloadCore
import ClinloadDefinitions

/// What each extractable column is, so a spec can only ask for columns clinload
/// knows how to release, and each one's transform is stated (and written into the
/// manifest). Anything not in the catalog is refused: minimum necessary, default deny.
enum ExtractCatalog {
    enum Kind {
        /// Released as stored (codes, amounts, sex, state...).
        case keep
        /// A date or time about the patient: its year under Safe Harbor, itself under an LDS.
        case eventDate
        /// From the vault, computed per patient (birth year, age, ZIP3...).
        case patientDerived
        /// Free text that may quote identifiers: left out, or scrubbed when the spec says so.
        case freeText
        /// Never released (a pseudonym derived from an identifier, or an identifier).
        case refused(StaticString)
    }

    static let eventTables: [String: String] = [
        "encounter": "clinical.encounter", "condition": "clinical.condition",
        "observation": "clinical.observation", "medication": "clinical.medication",
    ]

    /// Patient-level columns: stored generalised forms, or values computed from the vault.
    static let patientColumns: [String: Kind] = [
        "sex": .keep, "race": .keep, "ethnicity": .keep, "marital_status": .keep, "state": .keep,
        "birth_year": .patientDerived, "age": .patientDerived, "zip3": .patientDerived, "death_year": .patientDerived,
        // Limited Data Set only (checked against the profile):
        "birth_date": .patientDerived, "zip": .patientDerived, "city": .patientDerived,
    ]

    static let limitedDataSetOnly: Set<String> = ["birth_date", "zip", "city"]

    static func kind(source: String, column: String) -> Kind? {
        if source == "patient" { return patientColumns[column] }
        guard eventTables[source] != nil else { return nil }
        if column.hasSuffix("_key") {
            return .refused("keys are keyed pseudonyms of record ids (derived from identifiers): extracts carry research ids only")
        }
        if column.hasSuffix("_time") { return .eventDate }
        if ["value_text"].contains(column) { return .freeText }
        if ["surrogate_id", "batch_id", "source_ordinal", "item"].contains(column) {
            return .refused("internal keys and provenance are not released")
        }
        return .keep
    }
}
