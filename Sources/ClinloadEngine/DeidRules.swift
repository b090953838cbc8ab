import ClinloadCore
import ClinloadDefinitions
import ClinloadDeid
import Foundation

/// The de-identification rules of one extract, bound to its spec: the profile,
/// the restricted-ZIP3 table (by name, with its digest), the reference date for
/// ages, and the release gate. The rules themselves live in ClinloadDeid
/// (docs/DEID.md); this is where an extract applies them.
struct DeidRules {
    let profile: DeidProfile
    let zip3Table: ZIP3Table
    let referenceDate: String
    let ages: AgeRule
    let postalCodes: PostalCodeRule
    let freeText: FreeTextPolicy
    let scrubber: FreeTextScrubber

    /// Vault columns whose values the gate looks for in the output.
    static let gateColumns = ["source_id", "mrn", "ssn", "given_name", "family_name", "maiden_name", "street_address", "phone",
                              "email", "drivers_license", "passport"]

    init(spec: ExtractSpec, folder: URL, today: Date) throws {
        do {
            profile = try DeidProfile(name: spec.profile.rawValue, duaId: spec.duaId)
            zip3Table = try ZIP3Table.load(named: spec.zip3Table ?? ZIP3Table.defaultName, from: folder.path)
        } catch {
            throw ClinloadError(.pipelineInvalid, stage: .configuration, "the extract's de-identification settings are not usable",
                                location: .init(rule: "\(error)"))
        }
        let day: String = spec.referenceDate ?? {
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withFullDate]
            return formatter.string(from: today)
        }()
        guard let reference = CalendarDate(iso: day) else {
            throw ClinloadError(.pipelineInvalid, stage: .configuration, "reference_date is not a calendar date", location: .init(field: "reference_date", rule: "date"))
        }
        referenceDate = day
        ages = AgeRule(referenceDate: reference)
        postalCodes = PostalCodeRule(table: zip3Table)
        freeText = spec.freeText == .scrub ? .scrub : .drop
        scrubber = FreeTextScrubber(referenceYear: reference.year)
    }

    /// Vault columns the scrubber looks for in a patient's free text (DeidRules.gateColumns
    /// plus the city, which Safe Harbor removes and the gate cannot tell from a place name).
    static func knownIdentifiers(_ vault: [String: String]) -> KnownIdentifiers {
        func values(_ columns: [String]) -> [String] { columns.compactMap { vault[$0] }.filter { !$0.isEmpty } }
        return KnownIdentifiers(
            names: values(["given_name", "family_name", "maiden_name"]),
            numbers: values(["source_id", "mrn", "ssn", "drivers_license", "passport"]),
            addresses: values(["street_address"]), cities: values(["city"]), phones: values(["phone"]))
    }

    var isSafeHarbor: Bool { profile.isSafeHarbor }

    /// Completed years at the reference date (for cohort age limits), if known.
    func age(birthDate: String?) -> Int? {
        (try? ages.age(birthDate: birthDate)) ?? nil
    }

    /// The released value of a patient-level column.
    func patientValue(_ column: String, quasi: [String: String], clinical: [String: String]) -> String? {
        let birth = try? ages.birthDate(quasi["birth_date"], profile: profile)
        switch column {
        case "birth_year":
            if isSafeHarbor { return birth?.birthYear.map(String.init) }
            return quasi["birth_date"].flatMap { try? DateRule.year(of: $0) }.map(String.init)
        case "age": return birth?.ageGroup ?? birth?.age.map(String.init)
        case "birth_date": return isSafeHarbor ? nil : birth?.birthDate
        case "death_year": return quasi["death_date"].flatMap { try? DateRule.year(of: $0) }.map(String.init)
        case "zip3": return (try? postalCodes.zip3(quasi["zip"])) ?? nil
        case "zip": return isSafeHarbor ? nil : ((try? PostalCodeRule.zip5(quasi["zip"])) ?? nil)
        case "city": return isSafeHarbor ? nil : quasi["city"]
        default: return clinical[column]
        }
    }

    /// The released value of an event column (timestamps are rendered by
    /// PostgreSQL in UTC: `YYYY-MM-DD HH:MM:SS+00`).
    func eventValue(_ text: String?, kind: ExtractCatalog.Kind, known: KnownIdentifiers) -> String? {
        guard let text else { return nil }
        switch kind {
        case .eventDate where isSafeHarbor: return String(text.prefix(4))
        // The plan only lets free text through when the spec scrubs it; checked again here
        // so that a plan bug cannot release a note as written.
        case .freeText: return freeText == .scrub ? scrubber.scrub(text, known: known) : nil
        default: return text
        }
    }

    /// The transform named in the manifest for a patient-level column.
    func transform(of column: String) -> String {
        switch column {
        case "birth_year": return isSafeHarbor ? "year of birth; suppressed when the age is over 89" : "year of birth"
        case "age": return isSafeHarbor ? "completed years at the reference date; 90+ over 89" : "completed years at the reference date"
        case "zip3": return "first three digits; restricted prefixes (\(zip3Table.name)) become 000"
        case "death_year": return "year"
        default: return "keep"
        }
    }

    var manifestEntry: CanonicalJSON {
        .object([
            "zip3_table": .object(["name": .string(zip3Table.name), "sha256": .string(zip3Table.digest)]),
            "age_over_89": "aggregated as 90+, birth year suppressed (Safe Harbor)",
            "dates": .string(isSafeHarbor ? "year only" : "kept (Limited Data Set)"),
            "decisions": "docs/DEID.md",
        ])
    }

    struct Finding { var file: String; var column: String; var row: Int; var rule: String }

    /// The release gate over the written files. Codes and amounts are exempt from
    /// the number-shaped rules (a five-digit RxNorm code is not a ZIP); research
    /// ids from the pattern rules; nothing is exempt from the vault's identifiers.
    func gate(files: [URL], knownIdentifiers: Set<String>) throws -> [Finding] {
        // An 8-digit code can read as a valid yyyymmdd, a 9-digit one as an SSN.
        let numeric: Set<ReleaseGate.Rule> = [.zip5, .ssn, .phone, .fullDate, .monthDate]
        var exemptions: [String: Set<ReleaseGate.Rule>] = ["research_id": Set(ReleaseGate.Rule.allCases).subtracting([.knownIdentifier])]
        for column in ["code", "reason_code", "code_system", "value_code", "value_numeric", "base_encounter_cost", "total_claim_cost", "payer_coverage",
                       "base_cost", "total_cost", "dispenses"] {
            exemptions[column] = numeric
        }
        let gate = ReleaseGate(profile: .init(profile), knownIdentifiers: knownIdentifiers, exemptions: exemptions,
                               referenceYear: Int(referenceDate.prefix(4)))
        return try gate.scan(files: files).map { Finding(file: $0.file, column: $0.column, row: $0.row, rule: $0.rule.rawValue) }
    }
}
