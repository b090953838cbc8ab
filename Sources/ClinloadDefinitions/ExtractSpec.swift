import ClinloadCore
import Foundation
import Yams

/// A research extract request (`clinload extract --spec FILE`): who asks, for
/// which study, under which HIPAA profile, and exactly which tables and columns
/// (minimum necessary: nothing else is written). See docs/EXTRACTS.md.
public struct ExtractSpec: Sendable, Equatable, Codable {
    public enum Profile: String, Sendable, Codable {
        case safeHarbor = "safe-harbor"
        case limitedDataSet = "limited-data-set"
    }

    public struct Table: Sendable, Equatable, Codable {
        /// The output file's name (`<name>.csv`).
        public var name: String
        /// What it is made from: `patient`, `encounter`, `condition`, `observation`, `medication`.
        public var from: String
        public var columns: [String]
    }

    public struct Cohort: Sendable, Equatable, Codable {
        /// Patients with at least one condition whose code is in this list.
        public var conditionCodes: [String]?
        /// Events (rows of event tables) in this date range, inclusive (YYYY-MM-DD).
        public var from: String?
        public var to: String?
        /// Patients whose age at the reference date is in this range.
        public var minAge: Int?
        public var maxAge: Int?

        enum CodingKeys: String, CodingKey {
            case conditionCodes = "condition_codes"
            case from, to
            case minAge = "min_age"
            case maxAge = "max_age"
        }
    }

    public struct KAnonymity: Sendable, Equatable, Codable {
        /// Columns of the patient table that together could single someone out.
        public var quasiIdentifiers: [String]
        public var kMin: Int?
        /// Below `k_min`: `suppress` the patients of the small groups (from every
        /// table), or `fail` the extract.
        public var action: Action?

        public enum Action: String, Sendable, Codable { case suppress, fail }

        enum CodingKeys: String, CodingKey {
            case quasiIdentifiers = "quasi_identifiers"
            case kMin = "k_min"
            case action
        }
    }

    /// What happens to free-text columns (`value_text`): `drop` (the default) leaves
    /// them out; `scrub` releases them through the free-text scrubber, with the
    /// patient's own vault identifiers and identifier patterns replaced.
    public enum FreeText: String, Sendable, Codable { case drop, scrub }

    public var study: String
    public var requester: String
    public var profile: Profile
    /// Required for a Limited Data Set (45 CFR 164.514(e)).
    public var duaId: String?
    /// Ages are computed at this date (YYYY-MM-DD); default: the extract's day.
    public var referenceDate: String?
    /// The restricted-ZIP3 table by name (`hhs-2000` by default).
    public var zip3Table: String?
    public var tables: [Table]
    public var cohort: Cohort?
    public var kAnonymity: KAnonymity?
    public var freeText: FreeText?

    enum CodingKeys: String, CodingKey {
        case study, requester, profile, tables, cohort
        case duaId = "dua_id"
        case referenceDate = "reference_date"
        case zip3Table = "zip3_table"
        case kAnonymity = "k_anonymity"
        case freeText = "free_text"
    }

    public static func load(_ path: String) throws -> (spec: ExtractSpec, bytes: [UInt8]) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ClinloadError(.usage, stage: .configuration, "cannot read the extract spec", attributes: [("path", path)])
        }
        let spec: ExtractSpec
        do {
            spec = try YAMLDecoder().decode(ExtractSpec.self, from: data)
        } catch {
            throw ClinloadError(.pipelineInvalid, stage: .configuration, "the extract spec does not match the spec format",
                                attributes: [("path", path), ("at", DefinitionLoader.codingPath(of: error))])
        }
        try spec.check()
        return (spec, [UInt8](data))
    }

    /// Rules a spec must follow before any data is read.
    public func check() throws {
        func refuse(_ hint: StaticString, _ field: String, _ rule: String) -> ClinloadError {
            ClinloadError(.pipelineInvalid, stage: .configuration, hint, location: .init(field: field, rule: rule))
        }
        if study.trimmingCharacters(in: .whitespaces).isEmpty { throw refuse("the spec needs a study id", "study", "required") }
        if requester.trimmingCharacters(in: .whitespaces).isEmpty { throw refuse("the spec needs a requester", "requester", "required") }
        if profile == .limitedDataSet, (duaId ?? "").trimmingCharacters(in: .whitespaces).isEmpty {
            throw refuse("a Limited Data Set needs a data use agreement id (dua_id)", "dua_id", "required")
        }
        if tables.isEmpty { throw refuse("the spec names no table", "tables", "required") }
        var names = Set<String>()
        for table in tables {
            if !QualifiedTable.isPlainIdentifier(table.name) || !names.insert(table.name).inserted {
                throw refuse("table names must be distinct plain names", table.name, "table_name")
            }
            if table.columns.isEmpty { throw refuse("a table lists no column (minimum necessary: name each)", table.name, "columns") }
        }
        if let k = kAnonymity {
            if k.quasiIdentifiers.isEmpty { throw refuse("k-anonymity needs quasi-identifiers", "k_anonymity", "quasi_identifiers") }
            if let kMin = k.kMin, kMin < 2 { throw refuse("k_min must be at least 2", "k_anonymity", "k_min") }
        }
        if let date = referenceDate, !Self.isDate(date) { throw refuse("reference_date must be YYYY-MM-DD", "reference_date", "date") }
        for date in [cohort?.from, cohort?.to].compactMap({ $0 }) where !Self.isDate(date) {
            throw refuse("cohort dates must be YYYY-MM-DD", "cohort", "date")
        }
    }

    static func isDate(_ s: String) -> Bool {
        let parts = s.split(separator: "-")
        return parts.count == 3 && parts[0].count == 4 && parts[1].count == 2 && parts[2].count == 2 && parts.allSatisfy { $0.allSatisfy(\.isNumber) }
    }
}
