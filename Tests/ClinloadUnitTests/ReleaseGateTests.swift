@testable import ClinloadDeid
import ClinloadCore
import Foundation
import Testing

/// The release gate (issue #6 item 5; DEID_CASES 10.6 P1; L-cases for the Limited
/// Data Set contrast). Every value is made up.
@Suite("Release gate")
struct ReleaseGateTests {
    let dir: URL

    init() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("release-gate-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    func write(_ name: String, _ content: String) throws -> URL {
        let url = dir.appendingPathComponent(name)
        try Data(content.utf8).write(to: url)
        return url
    }

    /// SNOMED / LOINC / amount columns as an extract would declare them.
    let codeExemptions: [String: Set<ReleaseGate.Rule>] = [
        "code": [.ssn, .phone, .zip5, .fullDate],
        "total_cost": [.zip5],
    ]

    // MARK: the planted SSN (issue #6 "done when")

    @Test func plantedSSNInFreeTextColumnIsFoundWithFileColumnAndRow() throws {
        let file = try write("notes.csv", """
            research_id,note,code\r
            6f1c2d9e-0b8a-4c35-9f0e-1a2b3c4d5e6f,"Pt seen, stable.\r
            Plan: continue ""metformin"".",44054006\r
            0c7d7a51-3e4b-4d7a-a2a4-9b8c7d6e5f40,BP 120/80 K 4.1,73211009\r
            4a3b2c1d-9e8f-4a7b-8c6d-5e4f3a2b1c0d,"called pt, SSN 123-45-6789 confirmed",195967001\r

            """)
        let gate = ReleaseGate(profile: .safeHarbor, exemptions: codeExemptions)
        let findings = try gate.scan(files: [file])
        #expect(findings == [ReleaseGate.Finding(file: "notes.csv", column: "note", row: 3, rule: .ssn)])
        #expect(findings.first?.description == "notes.csv, column note, row 3: ssn")
        // without the code column's exemption, a nine-digit SNOMED code is an SSN-like run
        let strict = try ReleaseGate(profile: .safeHarbor).scan(files: [file])
        #expect(strict.contains(ReleaseGate.Finding(file: "notes.csv", column: "code", row: 3, rule: .ssn)))
    }

    @Test func plantedSSNBlocksUnderBothProfiles() throws {
        let file = try write("obs.csv", "research_id,comment\r\nr1,SSN 123456789 on file\r\n")
        for profile in ReleaseGate.Profile.allCases {
            let report = try ReleaseGate(profile: profile).scanReport(files: [file])
            #expect(!report.passed)
            #expect(report.findings == [.init(file: "obs.csv", column: "comment", row: 1, rule: .ssn)])
        }
    }

    // MARK: a clean Safe Harbor extract passes

    @Test func cleanSafeHarborFilePasses() throws {
        let patients = try write("patients.csv", """
            research_id,sex,birth_year,age,age_group,zip3,state,race\r
            6f1c2d9e-0b8a-4c35-9f0e-1a2b3c4d5e6f,F,1980,44,,980,WA,white\r
            0c7d7a51-3e4b-4d7a-a2a4-9b8c7d6e5f40,M,,,90+,000,NH,black\r
            4a3b2c1d-9e8f-4a7b-8c6d-5e4f3a2b1c0d,F,1935,89,,205,DC,asian\r

            """)
        let encounters = try write("encounters.csv", """
            research_id,admit_year,code,description,total_cost,value,note\r
            6f1c2d9e-0b8a-4c35-9f0e-1a2b3c4d5e6f,2024,195967001,Asthma (disorder),12500,7.8,"Pt [NAME], 44F, seen [DATE] at [ADDRESS], [CITY] WA [ZIP]; call [PHONE]."\r
            0c7d7a51-3e4b-4d7a-a2a4-9b8c7d6e5f40,2025,44054006,Diabetes mellitus type 2 (disorder),98052.25,-4.5,"Pt is a 90+ yo male; BP 120/80, K 4.1, room [ID]; heparin 25000 units"\r
            4a3b2c1d-9e8f-4a7b-8c6d-5e4f3a2b1c0d,2019,2345-7,Glucose,300,105,"Dr. Alzheimer's disease; Parkinson; quit 2019; 2019-2024 on statin; OID 2.16.840.1.113883"\r

            """)
        let gate = ReleaseGate(profile: .safeHarbor, knownIdentifiers: ["Darcy Smith", "Smith", "MRN0012345", "555-123-4567", "WA"],
                               exemptions: codeExemptions)
        let report = try gate.scanReport(files: [patients, encounters])
        #expect(report.findings == [])
        #expect(report.passed)
        #expect(report.filesScanned == 2 && report.rowsScanned == 6)
    }

    // MARK: every P1 pattern

    @Test func everyP1PatternIsDetected() throws {
        let cases: [(column: String, value: String, rule: ReleaseGate.Rule)] = [
            ("note", "ssn 123-45-6789", .ssn),
            ("note", "ssn 123 45 6789", .ssn),
            ("note", "id 123456789 on file", .ssn),
            ("note", "call (555) 123-4567", .phone),
            ("note", "call 555-123-4567", .phone),
            ("note", "call 555.123.4567", .phone),
            ("note", "call 555 123 4567", .phone),
            ("note", "call +1 555 123 4567", .phone),
            ("note", "call 1-555-123-4567", .phone),
            ("note", "call 8015550177", .phone),
            ("fax", "(555) 987-6543", .phone),
            ("note", "mail darcy@example.org", .email),
            ("email", "d_smith1980@webmail.example.net", .email),
            ("note", "see https://portal.example.org/p/12345", .url),
            ("note", "see ftp://files.example.net", .url),
            ("note", "see www.example-clinic.org/forms", .url),
            ("note", "see portal.example.com/p/1", .url),
            ("note", "host 10.1.2.3 up", .ipAddress),
            ("ip", "192.168.0.44", .ipAddress),
            ("note", "host 2001:db8::1 up", .ipAddress),
            ("note", "host ::1", .ipAddress),
            ("note", "host 2001:0db8:0000:0000:0000:ff00:0042:8329", .ipAddress),
            ("admit_year", "2024-03-15", .fullDate),
            ("admit", "2024-03-15T14:22:00-05:00", .fullDate),
            ("note", "seen 3/4/2024", .fullDate),
            ("note", "seen 12/01/23", .fullDate),
            ("note", "seen 2024/05/20", .fullDate),
            ("note", "seen March 4, 2024", .fullDate),
            ("note", "seen 4 Mar 2024", .fullDate),
            ("note", "seen 04-Mar-2024", .fullDate),
            ("note", "seen 12.05.1980", .fullDate),
            ("obx_ts", "20240315142200", .fullDate),
            ("discharge", "2024-03", .monthDate),
            ("note", "since March 2024", .monthDate),
            ("note", "since 03/2024", .monthDate),
            ("note", "in Q1 2024", .monthDate),
            ("zip", "98052", .zip5),
            ("zip", "05901-1234", .zip5),
            ("note", "Anycity WA 98052.", .zip5),
            ("age", "90", .ageOver89),
            ("age", "104", .ageOver89),
            ("age_group", "90-94", .ageOver89),
            ("age_months", "1100", .ageOver89),
            ("note", "Darcy Smith seen", .knownIdentifier),
            ("note", "SMITH, DARCY", .knownIdentifier),
            ("mrn", "MRN0012345", .knownIdentifier),
        ]
        let gate = ReleaseGate(profile: .safeHarbor, knownIdentifiers: ["Darcy", "Smith", "MRN0012345"])
        for c in cases {
            #expect(gate.rulesBroken(by: c.value, column: c.column).contains(c.rule), "\(c.column)=\(c.value) → \(c.rule)")
        }
        // and through a file: each case in its own column of one row
        var header: [String] = [], row: [String] = []
        for (index, c) in cases.enumerated() {
            header.append("\(c.column)_\(index)")
            row.append("\"\(c.value)\"")
        }
        // an age column keeps `age` as a word of its name
        let file = try write("p1.csv", header.joined(separator: ",") + "\r\n" + row.joined(separator: ",") + "\r\n")
        let found = Set(try gate.scan(files: [file]).map { "\($0.column):\($0.rule)" })
        for (index, c) in cases.enumerated() {
            #expect(found.contains("\(c.column)_\(index):\(c.rule)"), "\(c.column)=\(c.value) → \(c.rule) in a file")
        }
    }

    @Test func valuesThatAreNotIdentifiersPass() {
        let gate = ReleaseGate(profile: .safeHarbor, knownIdentifiers: ["Smith", "Darcy"])
        for (column, value) in [
            ("note", "BP 120/80, K 4.1, SpO2 97%, WBC 7.5"), ("note", "quit 2019; 2019-2024 on statin"),
            ("note", "OID 2.16.840.1.113883, v1.2.3, at 14:22:00"), ("note", "heparin 25000 units; $12500; 12500.5 mg"),
            ("note", "LOINC 2345-7, 85354-9"), ("note", "Smithson and Darcey"), ("note", "take 1/2 tab"),
            ("zip3", "980"), ("zip3", "000"), ("birth_year", "1935"), ("age", "89"), ("age_group", "90+"),
            ("age_months", "18"), ("age_group", "85-89"), ("value", "-4.5"), ("value", "98052.25"),
            ("research_id", "6f1c2d9e-0b8a-4c35-9f0e-1a2b3c4d5e6f"), ("note", "e.g. i.e. q.d. p.o."),
            ("note", "timestamp 14:22:00-05:00"), ("note", "Dr. Alzheimer's disease"),
        ] {
            #expect(gate.rulesBroken(by: value, column: column).isEmpty, "\(column)=\(value)")
        }
    }

    @Test func ageColumnsAndBirthYears() {
        let gate = ReleaseGate(profile: .safeHarbor, referenceYear: 2025)
        for (column, value, hit) in [
            ("age", "89", false), ("age", "90", true), ("age", "104", true), ("age", "89.9", false),
            ("age_group", "90+", false), ("age_group", "85-89", false), ("age_group", "90-94", true),
            ("patient_age", "93", true), ("age_months", "18", false), ("age_months", "1079", false),
            ("age_months", "1080", true), ("age_days", "32873", true), ("stage", "95", false),
            ("birth_year", "1934", true), ("birth_year", "1935", false), ("birth_year", "1980", false),
            ("yob", "1920", true), ("admit_year", "1920", false),
        ] {
            #expect(gate.rulesBroken(by: value, column: column).contains(.ageOver89) == hit, "\(column)=\(value)")
        }
        // without a reference year birth years are not judged; under an LDS ages over 89 are allowed (L4)
        #expect(ReleaseGate(profile: .safeHarbor).rulesBroken(by: "1920", column: "birth_year").isEmpty)
        #expect(ReleaseGate(profile: .limitedDataSet, referenceYear: 2025).rulesBroken(by: "104", column: "age").isEmpty)
        #expect(ReleaseGate(profile: .limitedDataSet, referenceYear: 2025).rulesBroken(by: "1920", column: "birth_year").isEmpty)
    }

    // MARK: Limited Data Set contrast (L1, L4, L5, L6)

    @Test func limitedDataSetAllowsDatesAndZIPButNotDirectIdentifiers() throws {
        let file = try write("lds.csv", """
            research_id,zip,city,birth_date,age,admit,note\r
            r1,03601,Anycity,1920-01-01,105,2024-03-15T14:22,seen 3/4/2024 since March 2024\r
            r2,98052-1234,Anycity,1980-12-05,44,2024-03-15,call 555-123-4567\r
            r3,98052,Anycity,1980-12-05,44,2024-03-15,mail darcy@example.org\r
            r4,98052,Anycity,1980-12-05,44,2024-03-15,SSN 123-45-6789\r
            r5,98052,Anycity,1980-12-05,44,2024-03-15,https://portal.example.org/p/1 from 10.1.2.3\r
            r6,98052,Anycity,1980-12-05,44,2024-03-15,Darcy Smith\r

            """)
        let lds = ReleaseGate(profile: .limitedDataSet, knownIdentifiers: ["Darcy Smith"])
        let findings = try lds.scan(files: [file])
        #expect(findings.map { "\($0.row):\($0.column):\($0.rule.rawValue)" } == [
            "2:note:phone", "3:note:email", "4:note:ssn", "5:note:url", "5:note:ip_address", "6:note:known_identifier",
        ])
        // the same file under Safe Harbor: dates, ZIPs and the age are findings too
        let sh = Set(try ReleaseGate(profile: .safeHarbor, knownIdentifiers: ["Darcy Smith"]).scan(files: [file]).map(\.rule))
        #expect(sh.isSuperset(of: [.fullDate, .monthDate, .zip5, .ageOver89, .ssn, .phone, .email, .url, .ipAddress, .knownIdentifier]))
        #expect(ReleaseGate.Profile.limitedDataSet.rules == [.ssn, .phone, .email, .url, .ipAddress, .knownIdentifier])
        #expect(ReleaseGate.Profile(.limitedDataSet(duaId: "DUA-1")) == .limitedDataSet)
        #expect(ReleaseGate.Profile(.safeHarbor) == .safeHarbor)
    }

    // MARK: no value in a finding

    @Test func findingsNeverCarryTheValue() throws {
        let canary = "Zqxcanary"
        let canarySSN = "987-65-4329"
        let file = try write("canary.csv", """
            research_id,note,zip,age\r
            r1,"\(canary) called, SSN \(canarySSN), mail \(canary.lowercased())@example.org, 10.9.8.7, 2024-03-15",98052,93\r

            """)
        let gate = ReleaseGate(profile: .safeHarbor, knownIdentifiers: [canary])
        let report = try gate.scanReport(files: [file])
        #expect(Set(report.findings.map(\.rule)) == [.ssn, .email, .ipAddress, .fullDate, .knownIdentifier, .zip5, .ageOver89])
        let texts = [
            String(describing: report.findings), String(describing: report), report.findings.map(\.description).joined(),
            String(decoding: try JSONEncoder().encode(report.findings), as: UTF8.self),
        ]
        for text in texts {
            for secret in [canary, canary.lowercased(), canarySSN, "4329", "98052", "10.9.8.7", "2024-03-15", "93"] {
                #expect(!text.contains(secret), "a finding carries part of a value")
            }
        }
        // nor does the error of a file the gate refuses
        let broken = try write("broken.csv", "research_id,note\r\nr1,\"\(canary) \(canarySSN)\r\n")
        do {
            _ = try gate.scan(files: [broken])
            Issue.record("an unterminated quoted field must throw")
        } catch let error as ClinloadError {
            #expect(error.code == .malformedCSV)
            #expect(!String(describing: error).contains(canary))
            #expect(!String(describing: error).contains(canarySSN))
        }
    }

    // MARK: known identifiers

    @Test func knownIdentifiersAreWholeWordsCaseAndAccentInsensitive() {
        let gate = ReleaseGate(profile: .limitedDataSet,
                               knownIdentifiers: ["Peña-Ruiz", "Darcy Smith", "555-123-4567", "WA", "Al", "  Li  "])
        #expect(gate.rulesBroken(by: "sra PENA-RUIZ", column: "note") == [.knownIdentifier])
        #expect(gate.rulesBroken(by: "Sra. pena ruiz", column: "note") == [.knownIdentifier])
        #expect(gate.rulesBroken(by: "DARCY  SMITH's chart", column: "note") == [.knownIdentifier])
        #expect(gate.rulesBroken(by: "Darcy Smithson", column: "note").isEmpty)
        #expect(gate.rulesBroken(by: "Smith", column: "note").isEmpty)   // only the whole name was given
        // shorter than three characters: ignored
        #expect(gate.rulesBroken(by: "WA Al Li", column: "note").isEmpty)
        // the phone as known identifier, written differently (the phone rule also fires)
        #expect(gate.rulesBroken(by: "555 123 4567", column: "note").contains(.knownIdentifier))
    }

    // MARK: exemptions

    @Test func exemptionsApplyPerColumnAndPerFile() throws {
        let a = try write("a.csv", "code,value\r\n195967001,98052\r\n")
        let b = try write("b.csv", "code,value\r\n195967001,98052\r\n")
        let gate = ReleaseGate(profile: .safeHarbor, exemptions: ["CODE": [.ssn], "a.csv:value": [.zip5]])
        let findings = try gate.scan(files: [a, b])
        #expect(findings == [.init(file: "b.csv", column: "value", row: 1, rule: .zip5)])
    }

    // MARK: RFC 4180 and failing closed

    @Test func parsesQuotedFieldsLineBreaksAndByteOrderMark() throws {
        let file = try write("q.csv", "\u{FEFF}a,b\n\"x, \"\"y\"\"\nz\",\"\"\n,\"3/4/2024\"\n")
        let findings = try ReleaseGate(profile: .safeHarbor).scan(files: [file])
        #expect(findings == [.init(file: "q.csv", column: "b", row: 2, rule: .fullDate)])
        var reader = try ReleaseGateCSVReader(url: file)
        #expect(try reader.nextRecord() == ["a", "b"])
        #expect(try reader.nextRecord() == ["x, \"y\"\nz", ""])
        #expect(try reader.nextRecord() == ["", "3/4/2024"])
        #expect(try reader.nextRecord() == nil)
    }

    @Test func malformedFilesThrowInsteadOfPassing() throws {
        let cases: [(String, ClinloadError.Code)] = [
            ("a,b\r\n1,\"open\r\n", .malformedCSV),          // unterminated quote
            ("a,b\r\n1,2,3\r\n", .malformedCSV),             // more fields than the header
            ("a,b\r\n1\r\n", .malformedCSV),                 // fewer
            ("a,b\r\n1,x\"y\r\n", .malformedCSV),            // quote in an unquoted field
            ("a,b\r\n1,\"x\"y\r\n", .malformedCSV),          // text after a closing quote
            ("a,b\r\n1,x\ry\r\n", .malformedCSV),            // a bare CR
        ]
        for (index, (content, code)) in cases.enumerated() {
            let file = try write("m\(index).csv", content)
            #expect(throws: ClinloadError.self) { try ReleaseGate(profile: .safeHarbor).scan(files: [file]) }
            do { _ = try ReleaseGate(profile: .safeHarbor).scan(files: [file]) } catch let error as ClinloadError {
                #expect(error.code == code, "case \(index)")
                #expect(error.location.file == "m\(index).csv")
            }
        }
        let latin1 = dir.appendingPathComponent("latin1.csv")
        try Data([0x61, 0x0D, 0x0A, 0x50, 0xE9, 0x6E, 0x61, 0x0D, 0x0A]).write(to: latin1)
        do {
            _ = try ReleaseGate(profile: .safeHarbor).scan(files: [latin1])
            Issue.record("a file that is not UTF-8 must throw")
        } catch let error as ClinloadError {
            #expect(error.code == .invalidUTF8)
        }
        let missing = dir.appendingPathComponent("missing.csv")
        #expect(throws: ClinloadError.self) { try ReleaseGate(profile: .safeHarbor).scan(files: [missing]) }
        // an empty file has nothing to release and nothing to find
        #expect(try ReleaseGate(profile: .safeHarbor).scan(files: [try write("empty.csv", "")]).isEmpty)
    }

    @Test func findingLimitKeepsCountingAndRowsAreDataRows() throws {
        var content = "research_id,note\r\n"
        for i in 1...50 { content += "r\(i),call 555-123-45\(String(format: "%02d", i % 100))\r\n" }
        let file = try write("many.csv", content)
        let report = try ReleaseGate(profile: .safeHarbor, findingLimit: 10).scanReport(files: [file])
        #expect(report.findings.count == 10)
        #expect(report.totalFindings == 50)
        #expect(report.truncated && !report.passed)
        #expect(report.findings.map(\.row) == Array(1...10))
        #expect(report.countsByRule == [.phone: 10])
    }

    @Test func scanThroughput() throws {
        // 20,000 rows of a typical Safe Harbor encounter file, one free-text column
        var content = "research_id,admit_year,code,description,value,zip3,note\r\n"
        for i in 0..<20_000 {
            content += "\(UUID().uuidString),2024,44054006,Diabetes mellitus type 2 (disorder),\(i % 200).5,980,\"Pt [NAME] seen [DATE]; BP 120/80, K 4.1; plan: continue metformin 500 mg BID\"\r\n"
        }
        let file = try write("bench.csv", content)
        let gate = ReleaseGate(profile: .safeHarbor, knownIdentifiers: Set((0..<5_000).map { "Name\($0) Family\($0)" }),
                               exemptions: ["code": [.ssn, .zip5, .phone, .fullDate]])
        let start = Date()
        let report = try gate.scanReport(files: [file])
        let seconds = Date().timeIntervalSince(start)
        #expect(report.passed)
        #expect(report.cellsScanned == 140_000)
        print("release gate: \(report.rowsScanned) rows, \(report.cellsScanned) cells in \(String(format: "%.2f", seconds)) s (debug build)")
    }
}
