import ClinloadCore
import ClinloadCrypto
import ClinloadDefinitions
import ClinloadDeid
import ClinloadEngine
import ClinloadPostgres
import ClinloadStore
import Foundation
import Testing

/// Research extracts end to end on the Synthea corpus: Safe Harbor and Limited
/// Data Set outputs, the manifest and its verification, research IDs, k-anonymity,
/// and the release gate blocking a planted identifier.
@Suite("Research extracts")
struct ResearchExtractTests {
    static let synthea = Repository.corpus.appendingPathComponent("OHDSI__dbt-synthea/seeds/synthea")
    static let rules = Repository.root.appendingPathComponent("schemas/deid")

    func loadedStore() throws -> TestStore {
        let store = try TestStore()
        for (pipeline, file) in [("synthea_patients", "patients.csv"), ("synthea_encounters", "encounters.csv"), ("synthea_conditions", "conditions.csv")] {
            let outcome = try store.run(Self.synthea.appendingPathComponent(file).path, pipeline: store.pipeline(pipeline))
            #expect(outcome.status == .loaded, "\(file): \(String(describing: outcome.error))")
        }
        return store
    }

    func spec(_ yaml: String, _ store: TestStore) throws -> (ExtractSpec, [UInt8]) {
        try ExtractSpec.load(try store.write(yaml, name: "spec-\(UUID().uuidString).yaml"))
    }

    func extract(_ yaml: String, _ store: TestStore, out: String) throws -> ResearchExtract.Result {
        let (parsed, bytes) = try spec(yaml, store)
        let connection = try store.connect()
        defer { connection.close() }
        return try ResearchExtract.run(spec: parsed, specBytes: bytes, outDirectory: out, connection: connection,
                                       provider: try store.keyProvider(), rulesFolder: Self.rules)
    }

    static let safeHarbor = """
        study: S-1
        requester: research office
        profile: safe-harbor
        reference_date: "2025-06-30"
        tables:
          - {name: patients, from: patient, columns: [sex, race, birth_year, age, zip3, state]}
          - {name: encounters, from: encounter, columns: [start_time, encounter_class, code, description]}
          - {name: conditions, from: condition, columns: [start_time, code, description]}
        k_anonymity: {quasi_identifiers: [sex, birth_year, zip3]}
        """

    @Test func aSafeHarborExtractReleasesOnlyDeidentifiedValuesWithAVerifiableManifest() throws {
        let store = try loadedStore()
        defer { store.cleanUp() }
        let out = store.folder.appendingPathComponent("out-sh").path
        let result = try extract(Self.safeHarbor, store, out: out)
        #expect(result.patients == 27)
        let patients = FixtureCSV.rows(try String(contentsOfFile: out + "/patients.csv", encoding: .utf8))
        #expect(patients[0] == ["research_id", "sex", "race", "birth_year", "age", "zip3", "state"])
        #expect(patients.count == 28)
        let encounters = FixtureCSV.rows(try String(contentsOfFile: out + "/encounters.csv", encoding: .utf8))
        #expect(encounters[0] == ["research_id", "start_year", "encounter_class", "code", "description"])
        #expect(encounters.count == 605)
        #expect(encounters.dropFirst().allSatisfy { $0[1].count == 4 })
        // Same patient, same research id across the tables of one extract.
        #expect(Set(encounters.dropFirst().map { $0[0] }).isSubset(of: Set(patients.dropFirst().map { $0[0] })))
        // Files 0600; the manifest verifies; a changed file no longer does.
        for name in ["patients.csv", "encounters.csv", "conditions.csv", "manifest.json"] {
            let mode = (try FileManager.default.attributesOfItem(atPath: out + "/" + name)[.posixPermissions] as? Int) ?? 0
            #expect(mode == 0o600, "\(name)")
        }
        #expect(try ExtractManifest.verify(directory: out).isEmpty)
        let manifest = try String(contentsOfFile: out + "/manifest.json", encoding: .utf8)
        #expect(manifest.contains("\"hhs-2000\"") && manifest.contains("\"minimum_k\"") && manifest.contains("\"S-1\""))
        try "x".write(toFile: out + "/conditions.csv", atomically: false, encoding: .utf8)
        #expect(try !ExtractManifest.verify(directory: out).isEmpty)
        // No identifier of the corpus anywhere in the output.
        let canaries = try FixtureCSV.values(of: ["Id", "SSN", "FIRST", "LAST", "ADDRESS", "BIRTHDATE", "ZIP"],
                                             inFile: Repository.syntheaPatients.path, longerThan: 4)
        let text = try ["patients.csv", "encounters.csv", "manifest.json"].map { try String(contentsOfFile: out + "/" + $0, encoding: .utf8) }.joined()
        // Research ids and digests are random hex, where a five-digit ZIP turns up by
        // chance: all-digit values are looked for outside them.
        let withoutHex = text.replacingOccurrences(of: "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{32,}",
                                                   with: " ", options: .regularExpression)
        #expect(canaries.filter { $0.allSatisfy(\.isNumber) ? withoutHex.contains($0) : text.contains($0) }.isEmpty)
        #expect(try store.count("SELECT count(*) FROM etl.audit_log WHERE event = 'extract_released'") == 1)
    }

    @Test func researchIDsAreStablePerStudyAndDifferAcrossStudies() throws {
        let store = try loadedStore()
        defer { store.cleanUp() }
        func ids(_ study: String, _ folder: String) throws -> Set<String> {
            _ = try extract(Self.safeHarbor.replacingOccurrences(of: "study: S-1", with: "study: \(study)"), store,
                            out: store.folder.appendingPathComponent(folder).path)
            return Set(FixtureCSV.rows(try String(contentsOfFile: store.folder.appendingPathComponent(folder + "/patients.csv").path,
                                                  encoding: .utf8)).dropFirst().map { $0[0] })
        }
        let a = try ids("S-A", "a1")
        #expect(try ids("S-A", "a2") == a)
        #expect(try ids("S-B", "b1").isDisjoint(with: a))
    }

    @Test func aLimitedDataSetNeedsADUAAndKeepsDatesAndZIP() throws {
        let store = try loadedStore()
        defer { store.cleanUp() }
        let lds = """
            study: L-1
            requester: quality team
            profile: limited-data-set
            dua_id: DUA-7
            reference_date: "2025-06-30"
            tables:
              - {name: patients, from: patient, columns: [sex, birth_date, age, zip, city, state]}
              - {name: encounters, from: encounter, columns: [start_time, code]}
            """
        #expect(throws: ClinloadError.self) { _ = try spec(lds.replacingOccurrences(of: "dua_id: DUA-7\n", with: ""), store) }
        let out = store.folder.appendingPathComponent("out-lds").path
        _ = try extract(lds, store, out: out)
        let encounters = FixtureCSV.rows(try String(contentsOfFile: out + "/encounters.csv", encoding: .utf8))
        #expect(encounters[0] == ["research_id", "start_time", "code"])
        #expect(encounters[1][1].count > 10)
        // A Safe Harbor spec cannot ask for Limited Data Set columns.
        let sh = lds.replacingOccurrences(of: "limited-data-set", with: "safe-harbor")
        #expect(throws: ClinloadError.self) { _ = try extract(sh, store, out: store.folder.appendingPathComponent("out-x").path) }
    }

    @Test func aPlantedSSNInAReleasedColumnBlocksTheReleaseAndIsAudited() throws {
        let store = try loadedStore()
        defer { store.cleanUp() }
        let connection = try store.connect()
        defer { connection.close() }
        try connection.execute("UPDATE clinical.condition SET description = 'follow-up, SSN 123-45-6789 on file' WHERE ctid = (SELECT min(ctid) FROM clinical.condition)")
        let out = store.folder.appendingPathComponent("out-blocked").path
        #expect { _ = try extract(Self.safeHarbor, store, out: out) } throws: { error in
            guard let error = error as? ClinloadError else { return false }
            return error.code == .releaseBlocked && error.location.field == "description" && error.location.rule == "ssn"
                && !error.description.contains("123-45-6789")
        }
        // Nothing released: no CSV, no manifest, no temporary folder left.
        let left = (try? FileManager.default.contentsOfDirectory(atPath: out)) ?? []
        #expect(left.isEmpty, "\(left)")
        let audit = try connection.query("SELECT payload FROM etl.audit_log WHERE event = 'extract_blocked'")
        #expect(audit.rowCount == 1 && !(audit.string(0, 0) ?? "").contains("123-45-6789"))
    }

    @Test func kAnonymityBelowKMinSuppressesOrFails() throws {
        let store = try loadedStore()
        defer { store.cleanUp() }
        let strict = Self.safeHarbor.replacingOccurrences(of: "k_anonymity: {quasi_identifiers: [sex, birth_year, zip3]}",
                                                          with: "k_anonymity: {quasi_identifiers: [sex, birth_year, zip3], k_min: 2, action: fail}")
        #expect(throws: ClinloadError.self) { _ = try extract(strict, store, out: store.folder.appendingPathComponent("k1").path) }
        let suppress = strict.replacingOccurrences(of: "action: fail", with: "action: suppress")
        let result = try extract(suppress, store, out: store.folder.appendingPathComponent("k2").path)
        #expect(result.suppressed > 0 && result.patients == 27 - result.suppressed)
    }

    @Test func anUnwritableOutputFolderIsAClearErrorAndNothingIsHalfWritten() throws {
        let store = try loadedStore()
        defer { store.cleanUp() }
        // A path under a regular file can never be created, even by root (CI runs as root,
        // which ignores permission bits).
        let blocker = try store.write("not a folder", name: "blocker")
        #expect { _ = try extract(Self.safeHarbor, store, out: blocker + "/extract") } throws: { error in
            (error as? ClinloadError)?.code == .outputUnwritable && (error as? ClinloadError)?.exitStatus == .cannotCreate
        }
        #expect(try store.count("SELECT count(*) FROM etl.audit_log WHERE event = 'extract_released'") == 0)
        // An output folder that already holds an extract is refused, not overwritten.
        let out = store.folder.appendingPathComponent("once").path
        _ = try extract(Self.safeHarbor, store, out: out)
        let before = try String(contentsOfFile: out + "/manifest.json", encoding: .utf8)
        #expect(throws: ClinloadError.self) { _ = try extract(Self.safeHarbor, store, out: out) }
        #expect(try String(contentsOfFile: out + "/manifest.json", encoding: .utf8) == before)
    }

    /// DEID_CASES P4: the same extract again gives identical files (research ids
    /// are stable per study, rows ordered); P2: only catalogued columns, and never
    /// a pseudonym key, can be asked for.
    @Test func aRerunGivesIdenticalFilesAndOnlyAllowedColumnsCanBeAskedFor() throws {
        let store = try loadedStore()
        defer { store.cleanUp() }
        let first = try extract(Self.safeHarbor, store, out: store.folder.appendingPathComponent("p4a").path)
        let second = try extract(Self.safeHarbor, store, out: store.folder.appendingPathComponent("p4b").path)
        #expect(first.files.map(\.sha256) == second.files.map(\.sha256))
        for column in ["encounter_key", "surrogate_id", "no_such_column"] {
            let asking = Self.safeHarbor.replacingOccurrences(of: "[start_time, encounter_class, code, description]",
                                                              with: "[start_time, \(column)]")
            #expect(throws: ClinloadError.self, "\(column)") {
                _ = try extract(asking, store, out: store.folder.appendingPathComponent("p2-\(column)").path)
            }
        }
    }

    /// DEID_CASES 10.4 through a real extract: free text (`value_text`) is left out by
    /// default (T7); with `free_text: scrub` it is released with the patient's own
    /// vault identifiers and the identifier patterns replaced (T1, T4, T6, D13), and
    /// the release gate then finds nothing.
    @Test func freeTextIsDroppedByDefaultAndScrubbedWithThePatientsVaultIdentifiers() throws {
        let store = try TestStore()
        defer { store.cleanUp() }
        for (pipeline, file) in [("synthea_patients", "patients.csv"), ("synthea_observations", "observations.csv")] {
            let outcome = try store.run(Self.synthea.appendingPathComponent(file).path, pipeline: store.pipeline(pipeline))
            #expect(outcome.status == .loaded, "\(file): \(String(describing: outcome.error))")
        }
        // Observation 1 of observations.csv is patient 3edac2e3 (Maynard46 Mosciski958
        // of 784 Stamm Lock Unit 46, Somerville, SSN 999-17-5017 in patients.csv).
        let note = "Pt Maynard46 Mosciski958 seen 3/4/2024 at 784 Stamm Lock Unit 46, Somerville; SSN 999175017 on file. BP 120/80, room 302"
        let connection = try store.connect()
        defer { connection.close() }
        #expect(try connection.query("UPDATE clinical.observation SET value_text = $1 WHERE source_ordinal = 1", [.text(note)]).affectedRows == 1)

        let spec = """
            study: S-NOTES
            requester: research office
            profile: safe-harbor
            reference_date: "2025-06-30"
            tables:
              - {name: observations, from: observation, columns: [effective_time, code, value_text]}
            """
        let dropped = store.folder.appendingPathComponent("notes-dropped").path
        _ = try extract(spec, store, out: dropped)
        let droppedRows = FixtureCSV.rows(try String(contentsOfFile: dropped + "/observations.csv", encoding: .utf8))
        #expect(droppedRows[0] == ["research_id", "effective_year", "code"])
        let droppedManifest = try String(contentsOfFile: dropped + "/manifest.json", encoding: .utf8)
        #expect(droppedManifest.contains("\"column\":\"value_text\"") && droppedManifest.contains("free text dropped"))

        let scrubbed = store.folder.appendingPathComponent("notes-scrubbed").path
        _ = try extract(spec + "\nfree_text: scrub\n", store, out: scrubbed)
        let text = try String(contentsOfFile: scrubbed + "/observations.csv", encoding: .utf8)
        let rows = FixtureCSV.rows(text)
        #expect(rows[0] == ["research_id", "effective_year", "code", "value_text"])
        let released = rows.dropFirst().compactMap { $0.count == 4 && !$0[3].isEmpty ? $0[3] : nil }
        #expect(released == ["Pt [NAME] seen [DATE] at [ADDRESS], [CITY]; SSN [SSN] on file. BP 120/80, room [ID]"], "\(released)")
        for canary in ["Maynard", "Mosciski", "Stamm", "Somerville", "999175017", "3/4/2024", "room 302"] {
            #expect(!text.contains(canary), "\(canary)")
        }
        let manifest = try String(contentsOfFile: scrubbed + "/manifest.json", encoding: .utf8)
        #expect(manifest.contains(FreeTextScrubber.version))
    }

    /// Cohort filters against counts worked out from the source files themselves:
    /// patients with a condition code and an age range at the reference date; their
    /// events within a date range (inclusive, in UTC).
    @Test func cohortFiltersSelectPatientsByConditionAndAgeAndEventsByDate() throws {
        let store = try loadedStore()
        defer { store.cleanUp() }
        let spec = """
            study: S-COHORT
            requester: research office
            profile: safe-harbor
            reference_date: "2025-06-30"
            cohort: {condition_codes: ["160903007"], min_age: 18, max_age: 64, from: "2018-01-01", to: "2022-12-31"}
            tables:
              - {name: patients, from: patient, columns: [sex, age]}
              - {name: encounters, from: encounter, columns: [start_time, code]}
              - {name: conditions, from: condition, columns: [start_time, code]}
            """
        let result = try extract(spec, store, out: store.folder.appendingPathComponent("cohort").path)

        func fixture(_ name: String) throws -> [[String: String]] {
            let rows = FixtureCSV.rows(try String(contentsOfFile: Self.synthea.appendingPathComponent(name).path, encoding: .utf8))
            return rows.dropFirst().filter { $0.count == rows[0].count }.map { Dictionary(uniqueKeysWithValues: zip(rows[0], $0)) }
        }
        let conditions = try fixture("conditions.csv")
        let withCode = Set(conditions.filter { $0["CODE"] == "160903007" }.compactMap { $0["PATIENT"] })
        let cohort = Set(try fixture("patients.csv").filter { patient in
            guard withCode.contains(patient["Id"]!) else { return false }
            let birth = patient["BIRTHDATE"]!.split(separator: "-").compactMap { Int($0) }
            let age = 2025 - birth[0] - ((birth[1], birth[2]) > (6, 30) ? 1 : 0)
            return (18...64).contains(age)
        }.compactMap { $0["Id"] })
        func inRange(_ start: String?) -> Bool { (start.map { String($0.prefix(10)) }).map { $0 >= "2018-01-01" && $0 <= "2022-12-31" } ?? false }
        let encounters = try fixture("encounters.csv").filter { cohort.contains($0["PATIENT"]!) && inRange($0["START"]) }
        let cohortConditions = conditions.filter { cohort.contains($0["PATIENT"]!) && inRange($0["START"]) }

        #expect(cohort.count > 0 && cohort.count < withCode.count, "the age filter must select some, not all")
        #expect(result.patients == cohort.count)
        #expect(result.files.map(\.rows) == [cohort.count, encounters.count, cohortConditions.count])
    }

    /// The example specs in `extracts/` are documentation: each must run.
    @Test func theExampleSpecsRun() throws {
        let store = try loadedStore()
        defer { store.cleanUp() }
        let outcome = try store.run(Self.synthea.appendingPathComponent("observations.csv").path, pipeline: store.pipeline("synthea_observations"))
        #expect(outcome.status == .loaded)
        let folder = Repository.root.appendingPathComponent("extracts")
        let examples = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".yaml") }.sorted()
        #expect(examples.count >= 3)
        for example in examples {
            let yaml = try String(contentsOf: folder.appendingPathComponent(example), encoding: .utf8)
            let result = try extract(yaml, store, out: store.folder.appendingPathComponent("example-\(example)").path)
            // (The corpus's 27 patients have no diabetes diagnosis: that cohort is empty.)
            #expect(FileManager.default.fileExists(atPath: result.manifestPath), "\(example)")
            let tables = try ExtractSpec.load(folder.appendingPathComponent(example).path).spec.tables
            #expect(result.files.map(\.name) == tables.map { "\($0.name).csv" }, "\(example)")
        }
    }

    /// P3: counts and digests verify against the manifest, and the manifest against
    /// the audit trail. Someone who edits a file and rewrites the manifest's digests to
    /// match passes the folder check but not the audit anchor.
    @Test func theManifestIsAnchoredInTheAuditTrail() throws {
        let store = try loadedStore()
        defer { store.cleanUp() }
        let out = store.folder.appendingPathComponent("anchored").path
        _ = try extract(Self.safeHarbor, store, out: out)
        let connection = try store.connect()
        defer { connection.close() }
        #expect(try ExtractManifest.verify(directory: out).isEmpty)
        let anchored = try ExtractManifest.verifyAgainstAudit(directory: out, connection: connection)
        #expect(anchored.seq != nil && anchored.problems.isEmpty, "\(anchored.problems)")

        // Drop the last patient row, and make the manifest agree with the edited file.
        let patients = out + "/patients.csv"
        var lines = try String(contentsOfFile: patients, encoding: .utf8).components(separatedBy: "\r\n")
        lines.remove(at: lines.count - 2)
        try lines.joined(separator: "\r\n").write(toFile: patients, atomically: false, encoding: .utf8)
        #expect(try ExtractManifest.verify(directory: out) == ["patients.csv: sha256 differs from the manifest", "patients.csv: 26 rows, the manifest says 27"])
        let manifestPath = out + "/manifest.json"
        var manifest = try String(contentsOfFile: manifestPath, encoding: .utf8)
        let oldDigest = try #require(try manifest.firstMatch(of: Regex("\"rows\":27,\"sha256\":\"([0-9a-f]{64})\""))?.output[1].substring)
        let newDigest = try SHA256Digest.hashFile(atPath: patients).digest.hexString
        manifest = manifest.replacingOccurrences(of: "\"rows\":27,\"sha256\":\"\(oldDigest)\"", with: "\"rows\":26,\"sha256\":\"\(newDigest)\"")
        try manifest.write(toFile: manifestPath, atomically: false, encoding: .utf8)
        #expect(try ExtractManifest.verify(directory: out).isEmpty, "the edit is self-consistent")
        let tampered = try ExtractManifest.verifyAgainstAudit(directory: out, connection: connection)
        #expect(tampered.seq == nil && tampered.problems.count == 1)
    }

    /// The output folder's disk fills while the files are written (a real tmpfs, a
    /// real ENOSPC): a clear error with errno 28, nothing in the folder, nothing
    /// audited as released.
    @Test(.enabled(if: TmpfsMount.isAvailable, "needs permission to mount a tmpfs (CI runs as root)"))
    func aFullDiskUnderTheOutputFolderReleasesNothing() throws {
        let store = try loadedStore()
        defer { store.cleanUp() }
        let disk = try TmpfsMount(megabytes: 1)
        defer { disk.unmount() }
        // Leave 8 KiB: the patients file fits, the encounters file does not.
        let filler = disk.path.appendingPathComponent("filler")
        try Data(count: 1024 * 1024 - 8192).write(to: filler)
        let out = disk.path.appendingPathComponent("out").path
        #expect { _ = try extract(Self.safeHarbor, store, out: out) } throws: { error in
            guard let error = error as? ClinloadError else { return false }
            return error.code == .outputUnwritable && error.attributes.contains { $0 == ("errno", "28") }
        }
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: out)) ?? []).isEmpty)
        let connection = try store.connect()
        defer { connection.close() }
        #expect(try connection.query("SELECT count(*) FROM etl.audit_log WHERE event = 'extract_released'").int(0, 0) == 0)
        // With room again, the same extract is released into the same folder.
        try FileManager.default.removeItem(at: filler)
        _ = try extract(Self.safeHarbor, store, out: out)
        #expect(try ExtractManifest.verify(directory: out).isEmpty)
    }
}
