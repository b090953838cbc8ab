import ClinloadCore
import Foundation

/// The PHI release gate of a research extract (issue #6 item 5, DEID_CASES 10.6 P1).
///
/// It reads the CSV files as written (RFC 4180: quoted fields, doubled quotes, line
/// breaks inside quotes; UTF-8) and checks every data cell against rules of its own,
/// independently of the transforms that produced them: a transform bug, a column
/// classified wrongly, text the scrubber missed — all end up here. Any finding
/// blocks the release. A finding names the file, the column, the 1-based data row
/// and the rule: never the value (nor any part of it).
///
/// Rules (`Rule`), under Safe Harbor all of them, under a Limited Data Set the
/// direct-identifier ones only (dates, five-digit ZIPs and ages are allowed there):
/// * `ssn`: `\b\d{3}-\d{2}-\d{4}\b`, the same with spaces, and a run of exactly nine
///   digits standing alone — in any column not exempted (declare code columns whose
///   codes can have nine digits, such as SNOMED CT, exempt from `ssn`);
/// * `phone`: US numbers — (555) 123-4567, 555-123-4567, 555.123.4567,
///   555 123 4567, +1 / 1- prefixes — and ten digits standing alone (first digit 2–9);
/// * `email`; `url`: a scheme (`https://`, `ftp://`...), `www.`, or a bare domain
///   under a common TLD (`example.org`, `portal.example.com/p/1`);
/// * `ipAddress`: dotted-quad IPv4; IPv6 (checked with `inet_pton`);
/// * `fullDate` (Safe Harbor): `\d{4}-\d{2}-\d{2}` anywhere (also inside a
///   timestamp), yyyy/mm/dd, m/d/yyyy, m/d/yy, d-m-yyyy, "March 4, 2024",
///   "4 Mar 2024", "04-Mar-2024", and HL7-style yyyymmdd[hhmm[ss]] with a valid
///   month and day;
/// * `monthDate` (Safe Harbor): a month with its year — yyyy-mm, mm/yyyy,
///   "March 2024", "Q1 2024" — is an element of a date other than the year too;
/// * `zip5` (Safe Harbor): five digits or ZIP+4 standing alone in any column —
///   not part of a decimal or a larger number, not after `$`, not before a unit
///   ("25000 units") — the same definition the free-text scrubber applies;
///   exempt numeric code or amount columns explicitly;
/// * `ageOver89` (Safe Harbor): in an age column (its name has the word `age`:
///   `age`, `age_group`, `age_at_admit`, `patient_age`), any number above 89 other
///   than the aggregate `90+`; a column that also has `months`, `weeks` or `days` in
///   its name is compared in that unit (1080 months, 4696 weeks, 32873 days);
///   with `referenceYear`, also a birth year (`birth_year`, `yob`) more than 90 years
///   before it (1934 for 2025: the patient is 90 or older whatever the birthday;
///   1935 may still be 89 — D5 keeps it);
/// * `knownIdentifier`: any of the extracted patients' names and identifiers from the
///   vault (`knownIdentifiers`): case- and accent-insensitive, whole words (`Smith`
///   does not hit `Smithson`); a value shorter than three characters is ignored.
///   Give the strings as they should be found: the gate does not derive variants.
///
/// `exemptions` lifts rules for columns the caller knows are codes or numbers:
/// `["code": [.ssn, .zip5, .phone]]` for a `code` column in every file, or
/// `["observations.csv:value": [.zip5]]` for one file. Names are matched
/// case-insensitively. The header row is not scanned.
public struct ReleaseGate: Sendable {
    /// The de-identification standard the files were produced under.
    public enum Profile: String, Sendable, Codable, CaseIterable {
        case safeHarbor = "safe-harbor"
        case limitedDataSet = "limited-data-set"

        public init(_ profile: DeidProfile) {
            self = profile.isSafeHarbor ? .safeHarbor : .limitedDataSet
        }

        /// The rules that apply (before exemptions).
        public var rules: Set<Rule> {
            Set(Rule.allCases.filter { $0.applies(to: self) })
        }
    }

    /// What a finding is about. Raw values are stable: they go into audit entries.
    public enum Rule: String, Sendable, Codable, CaseIterable, Comparable {
        case ssn
        case phone
        case email
        case url
        case ipAddress = "ip_address"
        case fullDate = "full_date"
        case monthDate = "month_date"
        case zip5
        case ageOver89 = "age_over_89"
        case knownIdentifier = "known_identifier"

        /// Whether the rule is checked under `profile`: a Limited Data Set may keep
        /// dates, five-digit ZIPs and ages (164.514(e)), not direct identifiers.
        public func applies(to profile: Profile) -> Bool {
            switch self {
            case .fullDate, .monthDate, .zip5, .ageOver89: return profile == .safeHarbor
            case .ssn, .phone, .email, .url, .ipAddress, .knownIdentifier: return true
            }
        }

        public static func < (a: Rule, b: Rule) -> Bool {
            allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
        }
    }

    /// One cell that breaks a rule. Carries no part of the value.
    public struct Finding: Sendable, Hashable, Codable, CustomStringConvertible {
        /// The file's name (last path component), as the manifest names it.
        public var file: String
        /// The column's header.
        public var column: String
        /// The data row, 1-based (the header is row 0).
        public var row: Int
        public var rule: Rule

        public init(file: String, column: String, row: Int, rule: Rule) {
            self.file = file
            self.column = column
            self.row = row
            self.rule = rule
        }

        public var description: String { "\(file), column \(column), row \(row): \(rule.rawValue)" }
    }

    /// The outcome of a scan.
    public struct Report: Sendable, Hashable, CustomStringConvertible {
        /// The findings, in file, row and column order: at most `findingLimit`.
        public var findings: [Finding]
        /// Every finding counted, including those beyond the limit.
        public var totalFindings: Int
        public var filesScanned: Int
        public var rowsScanned: Int
        public var cellsScanned: Int

        /// Nothing found: the files may be released.
        public var passed: Bool { totalFindings == 0 }
        public var truncated: Bool { totalFindings > findings.count }

        /// Findings per rule, for an audit entry.
        public var countsByRule: [Rule: Int] {
            findings.reduce(into: [:]) { $0[$1.rule, default: 0] += 1 }
        }

        public var description: String {
            if passed { return "release gate: passed (\(filesScanned) files, \(rowsScanned) rows, \(cellsScanned) cells)" }
            let shown = findings.prefix(20).map { "  \($0)" }.joined(separator: "\n")
            let more = totalFindings > 20 ? "\n  … \(totalFindings - 20) more" : ""
            return "release gate: blocked — \(totalFindings) findings\n\(shown)\(more)"
        }
    }

    public let profile: Profile
    /// Column name (or `file:column`), lower-cased → rules not checked there.
    public let exemptions: [String: Set<Rule>]
    /// Findings kept in a report (all are counted).
    public let findingLimit: Int
    /// The year of the extract's reference date, for birth-year columns (optional).
    public let referenceYear: Int?
    let identifiers: ReleaseGateIdentifierIndex
    let detectors: ReleaseGateDetectors

    public init(
        profile: Profile, knownIdentifiers: Set<String> = [], exemptions: [String: Set<Rule>] = [:],
        referenceYear: Int? = nil, findingLimit: Int = 10_000
    ) {
        self.profile = profile
        self.referenceYear = referenceYear
        self.exemptions = Dictionary(exemptions.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { $0.union($1) })
        self.findingLimit = max(0, findingLimit)
        self.identifiers = ReleaseGateIdentifierIndex(knownIdentifiers)
        self.detectors = ReleaseGateDetectors.shared
    }

    /// The findings in `files` (at most `findingLimit`; empty: release allowed).
    /// Throws when a file cannot be read, is not valid UTF-8, or is not RFC 4180
    /// CSV with as many fields in every row as in its header: the gate fails closed.
    public func scan(files: [URL]) throws -> [Finding] {
        try scanReport(files: files).findings
    }

    /// `scan(files:)` with the counts.
    public func scanReport(files: [URL]) throws -> Report {
        var report = Report(findings: [], totalFindings: 0, filesScanned: 0, rowsScanned: 0, cellsScanned: 0)
        for file in files {
            try scan(file: file, into: &report)
            report.filesScanned += 1
        }
        return report
    }

    /// The rules `value` breaks in a column named `column` of file `file` (after exemptions).
    public func rulesBroken(by value: String, column: String, file: String = "") -> Set<Rule> {
        let checks = ColumnChecks(gate: self, file: file, column: column)
        var out: Set<Rule> = []
        evaluate(value, checks) { out.insert($0) }
        return out
    }

    // MARK: - Scanning

    /// The rules to check in one column, and how to read its ages.
    struct ColumnChecks {
        var rules: Set<Rule>
        var ageLimit: Double?
        /// Birth years up to this one mean 90 or older.
        var birthYearLimit: Int?

        init(gate: ReleaseGate, file: String, column: String) {
            let name = column.lowercased()
            var exempt = gate.exemptions[name] ?? []
            exempt.formUnion(gate.exemptions["\(file.lowercased()):\(name)"] ?? [])
            rules = gate.profile.rules.subtracting(exempt)
            let words = Set(name.split(whereSeparator: { !$0.isLetter && !$0.isNumber }).map(String.init))
            ageLimit = nil
            birthYearLimit = nil
            if let year = gate.referenceYear,
               (words.contains("birth") && words.contains("year")) || words.contains("yob") || words.contains("birthyear") {
                birthYearLimit = year - 91
            } else if words.contains("age") || words.contains("ages") {
                // 90 years in the column's unit: the first number that is over 89 years
                if words.contains("months") || words.contains("month") { ageLimit = 1080 }
                else if words.contains("weeks") || words.contains("week") { ageLimit = 4696 }
                else if words.contains("days") || words.contains("day") { ageLimit = 32873 }
                else { ageLimit = 90 }
            } else {
                rules.remove(.ageOver89)
            }
        }
    }

    private func scan(file: URL, into report: inout Report) throws {
        let name = file.lastPathComponent
        var reader = try ReleaseGateCSVReader(url: file)
        guard let header = try reader.nextRecord() else { return }
        let checks = header.map { ColumnChecks(gate: self, file: name, column: $0) }
        var row = 0
        while let record = try reader.nextRecord() {
            row += 1
            guard record.count == header.count else {
                throw ClinloadError(.malformedCSV, stage: .validate, "release gate: a row has another number of fields than the header",
                                    location: .init(file: name, record: row),
                                    attributes: [("expected", "\(header.count)"), ("found", "\(record.count)")])
            }
            report.rowsScanned += 1
            for (index, value) in record.enumerated() where !value.isEmpty {
                report.cellsScanned += 1
                evaluate(value, checks[index]) { rule in
                    report.totalFindings += 1
                    if report.findings.count < findingLimit {
                        report.findings.append(Finding(file: name, column: header[index], row: row, rule: rule))
                    }
                }
            }
        }
    }

    /// Calls `hit` once per rule `value` breaks, in `Rule` order.
    private func evaluate(_ value: String, _ checks: ColumnChecks, hit: (Rule) -> Void) {
        guard !checks.rules.isEmpty else { return }
        var shape = ReleaseGateValueShape(value)
        let value = ReleaseGateDetectors.maskingUUIDs(value, shape)
        if shape.dashes >= 4 { shape = ReleaseGateValueShape(value) }
        for rule in Rule.allCases where checks.rules.contains(rule) {
            let broken: Bool
            switch rule {
            case .knownIdentifier: broken = identifiers.occurs(in: value)
            case .ageOver89:
                if let limit = checks.birthYearLimit {
                    broken = Int(value.trimmingCharacters(in: .whitespaces)).map { $0 <= limit } ?? false
                } else {
                    broken = checks.ageLimit.map { ReleaseGateDetectors.hasAge(value, atLeast: $0) } ?? false
                }
            default: broken = detectors.matches(rule, value, shape)
            }
            if broken { hit(rule) }
        }
    }
}
