import ClinloadCrypto
@testable import ClinloadDeid
import Foundation
import Testing

/// The structured-value cases of ../shared/docs/DEID_CASES.md (tables 10.1, 10.2,
/// 10.3 as column classes, 10.5), one test argument per case id, plus the rule
/// tables and conventions they rest on. Decisions: docs/DEID.md.
@Suite("De-identification rules (DEID_CASES)")
struct DeidRulesTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let tableFolder = repository.appendingPathComponent("schemas/deid").path
    /// DEID_CASES convention: R = 2025-06-30.
    static let r = CalendarDate(year: 2025, month: 6, day: 30)!

    static func table(_ name: String = ZIP3Table.defaultName) throws -> ZIP3Table {
        try ZIP3Table.load(named: name, from: tableFolder)
    }

    static func policy(_ profile: DeidProfile = .safeHarbor, table tableName: String = ZIP3Table.defaultName, r: CalendarDate = r) throws -> DeidPolicy {
        try DeidPolicy(profile: profile, zip3Table: try Self.table(tableName), referenceDate: r)
    }

    static let lds = DeidProfile.limitedDataSet(duaId: "DUA-2025-017")

    /// What a case expects of a rule: output values, or a rejection (quarantine).
    enum Outcome: Equatable, CustomStringConvertible {
        case values([String?])
        case rejected(DeidValueRejection.Rule)

        var description: String {
            switch self {
            case .values(let v): return "\(v)"
            case .rejected(let r): return "rejected \(r.rawValue)"
            }
        }
    }

    static func outcome(_ body: () throws(DeidValueRejection) -> [String?]) -> Outcome {
        do { return .values(try body()) } catch { return .rejected(error.rule) }
    }

    // MARK: - 10.1 Geography

    struct ZIPCase: Sendable, CustomTestStringConvertible {
        var id: String
        var zip: String?
        var country: String?
        var table: String
        var expected: Outcome
        var testDescription: String { "\(id): zip=\(zip.map { "\"\($0)\"" } ?? "NULL") country=\(country ?? "-") table=\(table)" }
    }

    @Test("10.1 ZIP to ZIP3 under Safe Harbor", arguments: [
        ZIPCase(id: "G1", zip: "98052", table: "hhs-2000", expected: .values(["980"])),
        ZIPCase(id: "G2", zip: "03601", table: "hhs-2000", expected: .values(["000"])),
        ZIPCase(id: "G3", zip: "05901-1234", table: "hhs-2000", expected: .values(["000"])),
        ZIPCase(id: "G3 (no hyphen)", zip: "059011234", table: "hhs-2000", expected: .values(["000"])),
        ZIPCase(id: "G3 (+4 of an open prefix)", zip: "98052-6399", table: "hhs-2000", expected: .values(["980"])),
        ZIPCase(id: "G4", zip: "89012", table: "hhs-2000", expected: .values(["000"])),
        ZIPCase(id: "G5", zip: "20500", table: "hhs-2000", expected: .values(["205"])),
        ZIPCase(id: "G6", zip: "20500", table: "ms-sample", expected: .values(["000"])),
        ZIPCase(id: "G6 (890 open in ms-sample)", zip: "89012", table: "ms-sample", expected: .values(["890"])),
        ZIPCase(id: "G7", zip: "3601", table: "hhs-2000", expected: .rejected(.postalCodeFormat)),
        ZIPCase(id: "G7 (six digits)", zip: "036010", table: "hhs-2000", expected: .rejected(.postalCodeFormat)),
        ZIPCase(id: "G7 (letters, US)", zip: "K1A 0B1", table: "hhs-2000", expected: .rejected(.postalCodeFormat)),
        ZIPCase(id: "G7 (bad +4)", zip: "05901-12", table: "hhs-2000", expected: .rejected(.postalCodeFormat)),
        ZIPCase(id: "G8", zip: "K1A 0B1", country: "CA", table: "hhs-2000", expected: .values([nil])),
        ZIPCase(id: "G8 (digits, non-US)", zip: "75008", country: "FR", table: "hhs-2000", expected: .values([nil])),
        ZIPCase(id: "G8 (unrecognised country)", zip: "98052", country: "Amerika", table: "hhs-2000", expected: .values([nil])),
        ZIPCase(id: "G8 (US spelled out)", zip: "98052", country: "united states", table: "hhs-2000", expected: .values(["980"])),
        ZIPCase(id: "G8 (USA)", zip: "98052", country: "USA", table: "hhs-2000", expected: .values(["980"])),
        ZIPCase(id: "G9", zip: "", table: "hhs-2000", expected: .values([nil])),
        ZIPCase(id: "G9 (NULL)", zip: nil, table: "hhs-2000", expected: .values([nil])),
        ZIPCase(id: "G9 (blank)", zip: "  ", table: "hhs-2000", expected: .values([nil])),
    ])
    func zip3(_ c: ZIPCase) throws {
        let policy = try Self.policy(table: c.table)
        #expect(policy.transform(for: .quasiIdentifier(.zip)) == .zip3)
        #expect(Self.outcome { () throws(DeidValueRejection) in
            try policy.apply(c.zip, as: .quasiIdentifier(.zip), country: c.country)
        } == c.expected)
        // The rule itself gives the same answer.
        let rule = PostalCodeRule(table: try Self.table(c.table))
        #expect(Self.outcome { () throws(DeidValueRejection) in [try rule.zip3(c.zip, country: c.country)] } == c.expected)
    }

    @Test func g7RejectionNamesTheFieldNeverTheValue() throws {
        do {
            _ = try PostalCodeRule(table: try Self.table()).zip3("3601")
            Issue.record("a four-digit ZIP must not pass")
        } catch let rejection as DeidValueRejection {
            let reason = rejection.quarantineReason(field: "zip", line: 12)
            #expect(reason.field == "zip" && reason.rule == "deid_postal_code" && reason.line == 12)
            #expect(!"\(rejection)".contains("3601"))
        }
    }

    struct GeoClassCase: Sendable, CustomTestStringConvertible {
        var id: String
        var column: String
        var value: String
        var kind: QuasiIdentifierKind
        var safeHarbor: [String?]
        var testDescription: String { "\(id): \(column)=\(value)" }
    }

    @Test("10.1 Street, city, county and geocodes removed; state kept (Safe Harbor)", arguments: [
        GeoClassCase(id: "G10 street", column: "street", value: "123 Main St Apt 4", kind: .street, safeHarbor: []),
        GeoClassCase(id: "G10 city", column: "city", value: "Anycity", kind: .city, safeHarbor: []),
        GeoClassCase(id: "G10 county", column: "county", value: "King", kind: .county, safeHarbor: []),
        GeoClassCase(id: "G11", column: "state", value: "CA", kind: .state, safeHarbor: ["CA"]),
        GeoClassCase(id: "G12 county FIPS", column: "county_fips", value: "53033", kind: .geocode, safeHarbor: []),
        GeoClassCase(id: "G12 census tract", column: "census_tract", value: "53033005300", kind: .geocode, safeHarbor: []),
        GeoClassCase(id: "G13", column: "lat_long", value: "47.6,-122.3", kind: .geocode, safeHarbor: []),
    ])
    func geography(_ c: GeoClassCase) throws {
        let policy = try Self.policy()
        let transform = policy.transform(for: .quasiIdentifier(c.kind))
        #expect(transform == (c.safeHarbor.isEmpty ? .drop : .keep))
        #expect(transform.outputColumns(source: c.column) == (c.safeHarbor.isEmpty ? [] : [c.column]))
        #expect(try policy.apply(c.value, as: .quasiIdentifier(c.kind)) == c.safeHarbor)
    }

    // MARK: - 10.2 Dates and ages

    struct DateCase: Sendable, CustomTestStringConvertible {
        var id: String
        var column: String
        var value: String
        var expectedColumn: String
        var expected: String
        var testDescription: String { "\(id): \(column)=\(value)" }
    }

    @Test("10.2 Event dates reduced to the year (Safe Harbor)", arguments: [
        DateCase(id: "D2", column: "admit", value: "2024-03-15T14:22:00-05:00", expectedColumn: "admit_year", expected: "2024"),
        DateCase(id: "D3", column: "discharge", value: "2024-03", expectedColumn: "discharge_year", expected: "2024"),
        DateCase(id: "D4", column: "death", value: "2023-01-10", expectedColumn: "death_year", expected: "2023"),
        DateCase(id: "D2 (HL7 TS with zone)", column: "admit_date", value: "20240315142200-0500", expectedColumn: "admit_year", expected: "2024"),
        DateCase(id: "D2 (PostgreSQL timestamptz)", column: "start_time", value: "2024-03-15 19:22:00.25+00", expectedColumn: "start_year", expected: "2024"),
        DateCase(id: "D2 (year only)", column: "onset", value: "2019", expectedColumn: "onset_year", expected: "2019"),
        DateCase(id: "D2 (local year, not UTC)", column: "admit", value: "2024-01-01T00:30:00+01:00", expectedColumn: "admit_year", expected: "2024"),
    ])
    func eventDates(_ c: DateCase) throws {
        let policy = try Self.policy()
        let transform = policy.transform(for: .quasiIdentifier(.eventDate))
        #expect(transform == .year)
        #expect(transform.outputColumns(source: c.column) == [c.expectedColumn])
        #expect(try policy.apply(c.value, as: .quasiIdentifier(.eventDate)) == [c.expected])
        #expect(try DateRule.apply(c.value, profile: .safeHarbor) == c.expected)
    }

    struct BirthCase: Sendable, CustomTestStringConvertible {
        var id: String
        var dob: String
        var r: CalendarDate
        var birthYear: Int?
        var age: Int?
        var ageGroup: String?
        var testDescription: String { "\(id): dob=\(dob) R=\(r)" }
    }

    @Test("10.2 Birth dates: birth year and age, 90+ suppresses the birth year (Safe Harbor)", arguments: [
        BirthCase(id: "D1", dob: "1980-12-05", r: r, birthYear: 1980, age: 44),
        BirthCase(id: "D5", dob: "1935-07-01", r: r, birthYear: 1935, age: 89),
        BirthCase(id: "D6", dob: "1935-06-30", r: r, ageGroup: "90+"),
        BirthCase(id: "D7", dob: "1920-01-01", r: r, ageGroup: "90+"),
        BirthCase(id: "D11", dob: "1936-02-29", r: CalendarDate(year: 2026, month: 2, day: 28)!, birthYear: 1936, age: 89),
        BirthCase(id: "D11 (next day)", dob: "1936-02-29", r: CalendarDate(year: 2026, month: 3, day: 1)!, ageGroup: "90+"),
        BirthCase(id: "D11 (leap reference year)", dob: "1936-02-29", r: CalendarDate(year: 2028, month: 2, day: 28)!, ageGroup: "90+"),
        BirthCase(id: "D11 (leap reference, on 02-29)", dob: "1940-02-29", r: CalendarDate(year: 2028, month: 2, day: 29)!, birthYear: 1940, age: 88),
        BirthCase(id: "D11 (leap reference, on 02-28)", dob: "1940-02-29", r: CalendarDate(year: 2028, month: 2, day: 28)!, birthYear: 1940, age: 87),
        BirthCase(id: "D1 (HL7 TS)", dob: "19801205", r: r, birthYear: 1980, age: 44),
        BirthCase(id: "D1 (born on R)", dob: "2025-06-30", r: r, birthYear: 2025, age: 0),
        BirthCase(id: "D5 (year only, may be 89 or 90)", dob: "1935", r: r, ageGroup: "90+"),
        BirthCase(id: "D5 (month known, 89 all month)", dob: "1935-07", r: r, birthYear: 1935, age: 89),
        BirthCase(id: "D1 (year only, age open)", dob: "1980", r: r, birthYear: 1980, age: nil),
        BirthCase(id: "D1 (born in the month of R, age still known)", dob: "1980-06", r: r, birthYear: 1980, age: 45),
    ])
    func birthDates(_ c: BirthCase) throws {
        let policy = try Self.policy(r: c.r)
        let transform = policy.transform(for: .quasiIdentifier(.birthDate))
        #expect(transform == .birthYearAndAge)
        #expect(transform.outputColumns(source: "dob") == ["birth_year", "age", "age_group"])
        #expect(try policy.apply(c.dob, as: .quasiIdentifier(.birthDate))
            == [c.birthYear.map(String.init), c.age.map(String.init), c.ageGroup])
        if let age = c.age { #expect(age <= 89) }
    }

    @Test func birthAfterTheReferenceDateIsRejected() throws {
        let rule = AgeRule(referenceDate: Self.r)
        #expect(throws: DeidValueRejection(.birthAfterReferenceDate)) { try rule.birthDate("2025-07-01", profile: .safeHarbor) }
        #expect(throws: DeidValueRejection(.birthAfterReferenceDate)) { try rule.birthDate("2026", profile: Self.lds) }
        #expect(throws: DeidValueRejection(.dateFormat)) { try rule.birthDate("1980-02-30", profile: .safeHarbor) }
        #expect(try rule.birthDate(nil, profile: .safeHarbor) == AgeRule.BirthDateOutcome())
        // The age in full, for cohort filters (never output under Safe Harbor).
        #expect(try rule.age(birthDate: "1920-01-01") == 105)
        #expect(try rule.age(birthDate: "1980") == nil)
        #expect(try rule.age(birthDate: nil) == nil)
    }

    struct StatedAgeCase: Sendable, CustomTestStringConvertible {
        var id: String
        var age: String
        /// age, age_group, age_months, age_weeks, age_days
        var expected: Outcome
        var testDescription: String { "\(id): age=\"\(age)\"" }
    }

    @Test("10.2 Stated ages: over 89 becomes 90+, other units kept (Safe Harbor)", arguments: [
        StatedAgeCase(id: "D8", age: "89", expected: .values(["89", nil, nil, nil, nil])),
        StatedAgeCase(id: "D9", age: "90", expected: .values([nil, "90+", nil, nil, nil])),
        StatedAgeCase(id: "D9", age: "104", expected: .values([nil, "90+", nil, nil, nil])),
        StatedAgeCase(id: "D10", age: "18 months", expected: .values([nil, nil, "18", nil, nil])),
        StatedAgeCase(id: "D10 (UCUM mo)", age: "18mo", expected: .values([nil, nil, "18", nil, nil])),
        StatedAgeCase(id: "D10 (weeks)", age: "3 wk", expected: .values([nil, nil, nil, "3", nil])),
        StatedAgeCase(id: "D10 (days)", age: "5 days", expected: .values([nil, nil, nil, nil, "5"])),
        StatedAgeCase(id: "D10 (years with unit)", age: "44 Y", expected: .values(["44", nil, nil, nil, nil])),
        StatedAgeCase(id: "D10 (UCUM a, 90)", age: "90 a", expected: .values([nil, "90+", nil, nil, nil])),
        StatedAgeCase(id: "D10 (1079 months = 89 y 11 m)", age: "1079 months", expected: .values([nil, nil, "1079", nil, nil])),
        StatedAgeCase(id: "D10 (1080 months = 90 y)", age: "1080 months", expected: .values([nil, "90+", nil, nil, nil])),
        StatedAgeCase(id: "D10 (32870 days < 90 y)", age: "32870 d", expected: .values([nil, nil, nil, nil, "32870"])),
        StatedAgeCase(id: "D10 (32871 days, may be 90 y)", age: "32871 d", expected: .values([nil, "90+", nil, nil, nil])),
        StatedAgeCase(id: "D10 (4694 weeks, last day < 90 y)", age: "4694 weeks", expected: .values([nil, nil, nil, "4694", nil])),
        StatedAgeCase(id: "D10 (4695 weeks, may be 90 y)", age: "4695 weeks", expected: .values([nil, "90+", nil, nil, nil])),
        StatedAgeCase(id: "D10 (ambiguous m)", age: "18 m", expected: .rejected(.ageFormat)),
        StatedAgeCase(id: "D10 (hours)", age: "36 hours", expected: .rejected(.ageFormat)),
        StatedAgeCase(id: "D10 (decimal)", age: "89.5", expected: .rejected(.ageFormat)),
        StatedAgeCase(id: "D10 (negative)", age: "-1", expected: .rejected(.ageFormat)),
        StatedAgeCase(id: "D8 (empty)", age: "", expected: .values([nil, nil, nil, nil, nil])),
    ])
    func statedAges(_ c: StatedAgeCase) throws {
        let policy = try Self.policy()
        let transform = policy.transform(for: .quasiIdentifier(.age))
        #expect(transform == .ageTopCoded)
        #expect(transform.outputColumns(source: "age") == ["age", "age_group", "age_months", "age_weeks", "age_days"])
        #expect(Self.outcome { () throws(DeidValueRejection) in try policy.apply(c.age, as: .quasiIdentifier(.age)) } == c.expected)
    }

    @Test("D12: the 90+ patient's event years stay") func d12EventYearsOfA90PlusPatient() throws {
        let policy = try Self.policy()
        // The patient row of the D7 patient...
        #expect(try policy.apply("1920-01-01", as: .quasiIdentifier(.birthDate)) == [nil, nil, "90+"])
        // ...and their admission in the same extract.
        #expect(try policy.apply("2025-05-02", as: .quasiIdentifier(.eventDate)) == ["2025"])
        #expect(policy.transform(for: .quasiIdentifier(.eventDate)).outputColumns(source: "admit") == ["admit_year"])
    }

    struct NonPersonalDateCase: Sendable, CustomTestStringConvertible {
        var id: String
        var columnClass: ColumnClass
        var holdsDates: Bool
        var expectedTransform: ColumnTransform
        var expected: [String?]
        var testDescription: String { "\(id): reagent_lot_expiry as \(columnClass.specName)\(holdsDates ? " (date column)" : "")" }
    }

    @Test("D15: only a clinical-non-personal-date column keeps its date", arguments: [
        NonPersonalDateCase(id: "D15 declared", columnClass: .clinicalNonPersonalDate, holdsDates: true, expectedTransform: .keep, expected: ["2026-01-31"]),
        NonPersonalDateCase(id: "D15 default (event date)", columnClass: .quasiIdentifier(.eventDate), holdsDates: true, expectedTransform: .year, expected: ["2026"]),
        NonPersonalDateCase(id: "D15 fail-safe (date column called clinical)", columnClass: .clinical, holdsDates: true, expectedTransform: .year, expected: ["2026"]),
    ])
    func d15NonPersonalDates(_ c: NonPersonalDateCase) throws {
        let policy = try Self.policy()
        #expect(policy.transform(for: c.columnClass, holdsDates: c.holdsDates) == c.expectedTransform)
        #expect(try policy.apply("2026-01-31", as: c.columnClass, holdsDates: c.holdsDates) == c.expected)
        // The Limited Data Set keeps it in every case.
        let lds = try Self.policy(Self.lds)
        #expect(try lds.apply("2026-01-31", as: c.columnClass, holdsDates: c.holdsDates) == ["2026-01-31"])
    }

    // MARK: - 10.3 Direct identifiers

    struct IdentifierCase: Sendable, CustomTestStringConvertible {
        var id: String
        var column: String
        var value: String
        var kind: IdentifierKind
        var testDescription: String { "\(id): \(column) (\(kind.rawValue), 164.514(b)(2)(i)(\(kind.safeHarborElement)))" }
    }

    static let identifierCases: [IdentifierCase] = [
        IdentifierCase(id: "I1", column: "name", value: "SMITH^DARCY", kind: .name),
        IdentifierCase(id: "I2 relative", column: "nk1_name", value: "SMITH^JOHN", kind: .name),
        IdentifierCase(id: "I2 guarantor", column: "guarantor_name", value: "SMITH^JOHN", kind: .name),
        IdentifierCase(id: "I2 employer", column: "employer_name", value: "Acme Corp", kind: .name),
        IdentifierCase(id: "I3 phone", column: "phone", value: "(555) 123-4567", kind: .phone),
        IdentifierCase(id: "I3 fax", column: "fax", value: "(555) 123-4568", kind: .fax),
        IdentifierCase(id: "I4", column: "email", value: "darcy@example.org", kind: .email),
        IdentifierCase(id: "I5", column: "ssn", value: "123-45-6789", kind: .ssn),
        IdentifierCase(id: "I5 last four", column: "ssn_last4", value: "6789", kind: .ssn),
        IdentifierCase(id: "I6", column: "mrn", value: "MRN0012345", kind: .medicalRecordNumber),
        IdentifierCase(id: "I7 member id", column: "member_id", value: "W123456789", kind: .healthPlanNumber),
        IdentifierCase(id: "I7 MBI", column: "mbi", value: "1EG4-TE5-MK73", kind: .healthPlanNumber),
        IdentifierCase(id: "I8 account", column: "account_number", value: "ACCT-99812", kind: .accountNumber),
        IdentifierCase(id: "I8 visit number", column: "visit_number", value: "V000123", kind: .accountNumber),
        IdentifierCase(id: "I9", column: "drivers_license", value: "WDL12345678", kind: .licenseNumber),
        IdentifierCase(id: "I10 VIN", column: "vin", value: "1HGCM82633A004352", kind: .vehicleIdentifier),
        IdentifierCase(id: "I10 plate", column: "plate", value: "7ABC123", kind: .vehicleIdentifier),
        IdentifierCase(id: "I11", column: "udi", value: "(01)00844588003288(17)141120(10)7654321D(21)10987654d321", kind: .deviceIdentifier),
        IdentifierCase(id: "I12", column: "url", value: "https://portal.example.org/p/12345", kind: .url),
        IdentifierCase(id: "I13 IPv4", column: "ip", value: "10.1.2.3", kind: .ipAddress),
        IdentifierCase(id: "I13 IPv6", column: "ip", value: "2001:db8::1", kind: .ipAddress),
        IdentifierCase(id: "I14", column: "fingerprint_template", value: "AAECAwQF", kind: .biometric),
        IdentifierCase(id: "I15", column: "obx_photo", value: "/9j/4AAQSkZJRg==", kind: .photo),
        IdentifierCase(id: "I16 accession", column: "accession_number", value: "ACC-2024-000123", kind: .otherUniqueIdentifier),
        IdentifierCase(id: "I16 specimen barcode", column: "specimen_barcode", value: "SP0001234", kind: .otherUniqueIdentifier),
        IdentifierCase(id: "I17", column: "initials", value: "D.S.", kind: .name),
    ]

    @Test("10.3 Direct identifiers are absent (both profiles)", arguments: identifierCases)
    func directIdentifiers(_ c: IdentifierCase) throws {
        for policy in [try Self.policy(), try Self.policy(Self.lds)] {
            let transform = policy.transform(for: .directIdentifier(c.kind))
            #expect(transform == .drop)
            #expect(transform.outputColumns(source: c.column).isEmpty)
            #expect(try policy.apply(c.value, as: .directIdentifier(c.kind)).isEmpty)
        }
    }

    @Test func everyIdentifierKindIsDroppedAndCovered() {
        for kind in IdentifierKind.allCases {
            #expect(DeidPolicy.transform(for: .directIdentifier(kind), profile: .safeHarbor) == .drop)
            #expect(DeidPolicy.transform(for: .directIdentifier(kind), profile: Self.lds) == .drop)
        }
        // Every kind appears in a case, and the letters A, D–R are all named once.
        #expect(Set(Self.identifierCases.map(\.kind)) == Set(IdentifierKind.allCases))
        #expect(IdentifierKind.allCases.map(\.safeHarborElement).joined() == "ADEFGHIJKLMNOPQR")
    }

    // MARK: - 10.5 Limited Data Set contrasts

    struct LDSCase: Sendable, CustomTestStringConvertible {
        var id: String
        var column: String
        var value: String
        var columnClass: ColumnClass
        var transform: ColumnTransform
        var outputColumns: [String]
        var expected: [String?]
        var testDescription: String { "\(id): \(column)=\(value)" }
    }

    @Test("10.5 Limited Data Set keeps dates, city, state, five-digit ZIP and ages", arguments: [
        LDSCase(id: "L1", column: "zip", value: "03601", columnClass: .quasiIdentifier(.zip), transform: .zip5, outputColumns: ["zip"], expected: ["03601"]),
        LDSCase(id: "L1 (+4 dropped)", column: "zip", value: "03601-1234", columnClass: .quasiIdentifier(.zip), transform: .zip5, outputColumns: ["zip"], expected: ["03601"]),
        LDSCase(id: "L2 city", column: "city", value: "Anycity", columnClass: .quasiIdentifier(.city), transform: .keep, outputColumns: ["city"], expected: ["Anycity"]),
        LDSCase(id: "L2 state", column: "state", value: "NH", columnClass: .quasiIdentifier(.state), transform: .keep, outputColumns: ["state"], expected: ["NH"]),
        LDSCase(id: "L3", column: "street", value: "123 Main St", columnClass: .quasiIdentifier(.street), transform: .drop, outputColumns: [], expected: []),
        LDSCase(id: "L3 (county)", column: "county", value: "King", columnClass: .quasiIdentifier(.county), transform: .drop, outputColumns: [], expected: []),
        LDSCase(id: "L3 (geocode)", column: "lat_long", value: "47.6,-122.3", columnClass: .quasiIdentifier(.geocode), transform: .drop, outputColumns: [], expected: []),
        LDSCase(id: "L4", column: "dob", value: "1920-01-01", columnClass: .quasiIdentifier(.birthDate), transform: .birthDateAndAge, outputColumns: ["dob", "age"], expected: ["1920-01-01", "105"]),
        LDSCase(id: "L4 (stated age over 89)", column: "age", value: "104", columnClass: .quasiIdentifier(.age), transform: .keep, outputColumns: ["age"], expected: ["104"]),
        LDSCase(id: "L5", column: "admit", value: "2024-03-15T14:22", columnClass: .quasiIdentifier(.eventDate), transform: .keep, outputColumns: ["admit"], expected: ["2024-03-15T14:22"]),
        LDSCase(id: "L1 (G7 still rejected)", column: "zip", value: "3601", columnClass: .quasiIdentifier(.zip), transform: .zip5, outputColumns: ["zip"], expected: []),
    ])
    func limitedDataSet(_ c: LDSCase) throws {
        let policy = try Self.policy(Self.lds)
        let transform = policy.transform(for: c.columnClass)
        #expect(transform == c.transform)
        #expect(transform.outputColumns(source: c.column) == c.outputColumns)
        let expected: Outcome = c.id.contains("G7") ? .rejected(.postalCodeFormat) : .values(c.expected)
        #expect(Self.outcome { () throws(DeidValueRejection) in try policy.apply(c.value, as: c.columnClass) } == expected)
    }

    @Test("L6: phone, e-mail, SSN, MRN, URL, IP, VIN, device id, photo absent", arguments: [
        IdentifierKind.phone, .email, .ssn, .medicalRecordNumber, .url, .ipAddress, .vehicleIdentifier, .deviceIdentifier, .photo,
    ])
    func l6DirectIdentifiers(_ kind: IdentifierKind) throws {
        let policy = try Self.policy(Self.lds)
        #expect(policy.transform(for: .directIdentifier(kind)) == .drop)
        #expect(try policy.apply("x", as: .directIdentifier(kind)).isEmpty)
    }

    @Test("L7: a Limited Data Set without a DUA id is refused", arguments: [nil, "", "   ", "\t"] as [String?])
    func l7MissingDUA(_ duaId: String?) throws {
        #expect(throws: DeidConfigurationError.dataUseAgreementMissing) { try DeidProfile(name: "limited-data-set", duaId: duaId) }
        #expect(throws: DeidConfigurationError.dataUseAgreementMissing) {
            try DeidPolicy(profile: .limitedDataSet(duaId: duaId ?? ""), zip3Table: try Self.table(), referenceDate: Self.r)
        }
    }

    @Test func profilesFromSpecNames() throws {
        #expect(try DeidProfile(name: "safe-harbor", duaId: nil) == .safeHarbor)
        #expect(try DeidProfile(name: "safe-harbor", duaId: "DUA-1") == .safeHarbor)
        #expect(try DeidProfile(name: "limited-data-set", duaId: " DUA-1 ") == .limitedDataSet(duaId: "DUA-1"))
        #expect(throws: DeidConfigurationError.unknownProfile("expert-determination")) {
            try DeidProfile(name: "expert-determination", duaId: nil)
        }
        #expect(throws: DeidConfigurationError.dataUseAgreementMissing) { try DeidProfile.limitedDataSet(duaId: "DUA\n1").validated() }
        #expect(try Self.policy(Self.lds).profile.duaId == "DUA-2025-017")
    }

    // MARK: - Rule tables

    @Test func zip3TablesAreVersionedData() throws {
        let hhs = try Self.table("hhs-2000")
        let ms = try Self.table("ms-sample")
        #expect(hhs.name == "hhs-2000" && ms.name == "ms-sample")
        #expect(hhs.restrictedPrefixes == ["036", "059", "063", "102", "203", "556", "692", "790", "821", "823", "830", "831", "878", "879", "884", "890", "893"])
        #expect(ms.restrictedPrefixes == hhs.restrictedPrefixes.subtracting(["063", "790", "830", "831", "890"]).union(["205", "369"]))
        #expect(hhs.isRestricted("036") && !hhs.isRestricted("205") && ms.isRestricted("205"))
        #expect(hhs.source.hasPrefix("HHS Office for Civil Rights"))
        // The digest is the SHA-256 of the file's bytes; pinned, so that a changed
        // list is noticed (a changed list is a new table name, docs/DEID.md).
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Self.tableFolder).appendingPathComponent("zip3-hhs-2000.txt")))
        #expect(hhs.digest == SHA256Digest.hash(bytes).hexString)
        #expect(hhs.digest == "24438fa1be09c3a5c15f5d6cfc151fe00f21decf1f0589addaa8f0302e639cd5")
        #expect(ms.digest == "eec54e4f338de2c3eb1d6428497d1b33d13a36268e5fcd399f0b98df05daa3c1")
        #expect(try Self.policy(table: "ms-sample").conventions.contains { $0.name == "zip3_table_sha256" && $0.value == ms.digest })
    }

    @Test func zip3TablesRefuseAnythingButAList() throws {
        func table(_ text: String) throws -> ZIP3Table { try ZIP3Table(name: "t", contents: Array(text.utf8)) }
        #expect(try table("# source: test\r\n036\r\n\r\n059\r\n").restrictedPrefixes == ["036", "059"])
        #expect(throws: DeidConfigurationError.tableMalformed(path: "zip3-t.txt", line: 3)) { try table("# source: test\n036\n36\n") }
        #expect(throws: DeidConfigurationError.tableMalformed(path: "zip3-t.txt", line: 3)) { try table("# source: test\n036\n036\n") }
        #expect(throws: DeidConfigurationError.tableMalformed(path: "zip3-t.txt", line: 2)) { try table("# source: test\n036 # inline\n") }
        #expect(throws: DeidConfigurationError.tableSourceMissing(path: "zip3-t.txt")) { try table("# a list\n036\n") }
        #expect(throws: DeidConfigurationError.tableEmpty(path: "zip3-t.txt")) { try table("# source: test\n") }
        for name in ["../etc/passwd", "HHS", "", "-x", "a/b"] {
            #expect(throws: DeidConfigurationError.invalidTableName(name)) { try ZIP3Table.load(named: name, from: Self.tableFolder) }
        }
        #expect(throws: DeidConfigurationError.self) { try ZIP3Table.load(named: "hhs-2010", from: Self.tableFolder) }
    }

    // MARK: - Conventions and column classes

    @Test func everyColumnClassHasATransformInBothProfiles() {
        for columnClass in ColumnClass.allCases {
            #expect(ColumnClass(specName: columnClass.specName) == columnClass)
            let sh = DeidPolicy.transform(for: columnClass, profile: .safeHarbor)
            let lds = DeidPolicy.transform(for: columnClass, profile: Self.lds)
            // Safe Harbor never keeps more than a Limited Data Set.
            if lds == .drop { #expect(sh == .drop, "\(columnClass.specName)") }
            // Neither profile keeps a direct identifier, a street or a geocode.
            switch columnClass {
            case .directIdentifier, .quasiIdentifier(.street), .quasiIdentifier(.geocode), .quasiIdentifier(.county), .freeText:
                #expect(sh == .drop && lds == .drop, "\(columnClass.specName)")
            default: break
            }
        }
        #expect(ColumnClass(specName: "direct_identifier") == .directIdentifier(.otherUniqueIdentifier))
        #expect(ColumnClass(specName: "quasi_identifier") == nil)
        #expect(ColumnClass(specName: "quasi_identifier:shoe_size") == nil)
        #expect(ColumnClass(specName: "clinical:x") == nil)
        #expect(DeidPolicy.transform(for: .freeText, profile: .safeHarbor, scrubsFreeText: true) == .scrubFreeText)
        #expect(DeidPolicy.transform(for: .clinical, profile: .safeHarbor) == .keep)
    }

    @Test(arguments: [
        ("admit", "admit_year"), ("admit_date", "admit_year"), ("START", "START_year"), ("start_time", "start_year"),
        ("death_datetime", "death_year"), ("date", "date_year"), ("reagent_lot_expiry", "reagent_lot_expiry_year"),
    ])
    func yearColumnNames(_ source: String, _ expected: String) {
        #expect(ColumnTransform.year.outputColumns(source: source) == [expected])
    }

    @Test(arguments: [("zip", "zip3"), ("ZIP", "zip3"), ("home_zip", "home_zip3"), ("zip_code", "zip3"), ("postal_code", "zip3"), ("residence", "residence_zip3")])
    func zip3ColumnNames(_ source: String, _ expected: String) {
        #expect(ColumnTransform.zip3.outputColumns(source: source) == [expected])
    }

    @Test func conventionsAreRecorded() throws {
        let c = try Self.policy(Self.lds).conventions
        #expect(c.map(\.name) == ["profile", "dua_id", "reference_date", "zip3_table", "zip3_table_sha256", "age_over_89", "leap_day_birthday", "free_text"])
        #expect(Array(c.map(\.value).prefix(4)) == ["limited-data-set", "DUA-2025-017", "2025-06-30", "hhs-2000"])
        #expect(try Self.policy().conventions.map(\.name).contains("dua_id") == false)
    }

    /// Each form read to its precision: [year, month, day].
    @Test(arguments: [
        ("2024", [2024, nil, nil]), ("2024-03", [2024, 3, nil]), ("2024-03-15", [2024, 3, 15]),
        ("2024-03-15T14:22", [2024, 3, 15]), ("2024-03-15T14:22:00Z", [2024, 3, 15]),
        ("2024-03-15 14:22:00.123456-05:30", [2024, 3, 15]), ("2024-03-15T14:22:00+0530", [2024, 3, 15]),
        ("2024-03-15 19:22:00+00", [2024, 3, 15]), ("202403", [2024, 3, nil]), ("20240315", [2024, 3, 15]),
        ("202403151422", [2024, 3, 15]), ("20240315142200.1234+0100", [2024, 3, 15]), (" 2024-02-29 ", [2024, 2, 29]),
    ] as [(String, [Int?])])
    func datesRead(_ text: String, _ parts: [Int?]) throws {
        let d = try PartialDate(parsing: text)
        #expect([d.year, d.month, d.day] == parts)
    }

    @Test(arguments: [
        "", "24", "2024-3-15", "2024-13", "2023-02-29", "2024-03-15T25:00", "2024-03-15T14:22+05:", "2024-03-15X",
        "20241301", "2024031", "20240315+05", "20240315142200.12345", "15/03/2024", "Q1 2024", "0000",
    ])
    func datesRefused(_ text: String) {
        #expect(throws: DeidValueRejection(.dateFormat)) { try PartialDate(parsing: text) }
    }
}
