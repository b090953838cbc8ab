import ClinloadCore
import ClinloadDefinitions
import ClinloadEngine
import ClinloadPostgres
import Foundation
import Testing

@Suite("Synthea corpus: all 17 CSVs")
struct CorpusSyntheaFeedsTests {
    static let folder = Repository.corpus.appendingPathComponent("OHDSI__dbt-synthea/seeds/synthea")

    /// The corpus conditions.csv, a line each (header first).
    static func conditionLines() throws -> [String] {
        try String(contentsOf: folder.appendingPathComponent("conditions.csv"), encoding: .utf8)
            .split(separator: "\n").map(String.init)
    }

    /// `lines` with the PATIENT of every `step`-th record from `start` on replaced
    /// by an id no patient file holds.
    static func namingUnknownPatients(_ lines: [String], from start: Int, every step: Int) -> [String] {
        var out = lines
        for i in stride(from: start, to: out.count, by: step) {
            var fields = out[i].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            fields[2] = "00000000-0000-4000-8000-\(String(format: "%012d", i))"
            out[i] = fields.joined(separator: ",")
        }
        return out
    }

    /// Every file loads through its pipeline (assigned by the drop-folder
    /// matcher, patients before the feeds that refer to them), row counts match
    /// the files, rows join to the same patients, and no identifier from any file
    /// is stored in plaintext anywhere.
    @Test func everyFileLoadsWithMatchingCountsAndNoPlaintext() throws {
        let store = try TestStore()
        defer { store.cleanUp() }
        let pipelines = try DefinitionLoader.pipelineFiles(in: Repository.pipelines)
            .map { try DefinitionLoader.loadPipeline($0.path, pipelinesDirectory: Repository.pipelines) }
            .filter { $0.definition.source.format == .csv }
        let drop = try DropFolder(directory: Self.folder, pipelines: pipelines)
        #expect(drop.unmatched.isEmpty, "\(drop.unmatched)")
        #expect(drop.ambiguous.isEmpty)
        #expect(drop.assignments.count == 17)
        #expect(drop.assignments.first(where: { $0.pipeline.definition.subject.mode != .none })?.pipeline.name == "synthea_patients")

        var loadedTables: [String: Int] = [:]
        for assignment in drop.assignments {
            let outcome = try store.run(assignment.path, pipeline: assignment.pipeline)
            let file = URL(fileURLWithPath: assignment.path).lastPathComponent
            let lines = FixtureCSV.rows(try String(contentsOfFile: assignment.path, encoding: .utf8)).count - 1
            #expect(outcome.status == .loaded, "\(file): \(String(describing: outcome.error)) \(outcome.reasons)")
            #expect(outcome.counts.recordsRead == lines, "\(file)")
            #expect(outcome.counts.recordsQuarantined == 0, "\(file): \(outcome.reasons)")
            let table = assignment.pipeline.definition.target.clinical!.description
            #expect(outcome.counts.rowsLoaded[table] == lines, "\(file) → \(table)")
            loadedTables[table, default: 0] += lines
        }
        for (table, rows) in loadedTables {
            #expect(try store.count("SELECT count(*) FROM \(table)") == rows, "\(table)")
        }

        let connection = try store.connect()
        defer { connection.close() }
        // Event rows hang off the patients of patients.csv, and conditions join their encounters by pseudonym.
        #expect(try store.count("""
            SELECT count(*) FROM clinical.encounter e LEFT JOIN clinical.patient p USING (surrogate_id) WHERE p.surrogate_id IS NULL
            """) == 0)
        #expect(try store.count("SELECT count(DISTINCT surrogate_id) FROM clinical.encounter") == 27)
        #expect(try store.count("""
            SELECT count(*) FROM clinical.condition c JOIN clinical.encounter e USING (encounter_key)
            WHERE c.surrogate_id <> e.surrogate_id
            """) == 0)
        #expect(try store.count("""
            SELECT count(*) FROM clinical.condition c WHERE NOT EXISTS (SELECT 1 FROM clinical.encounter e WHERE e.encounter_key = c.encounter_key)
            """) == 0)

        // No identifier of any file in plaintext: patient ids, names, SSNs, addresses,
        // encounter and claim ids, other people's names.
        var canaries = try FixtureCSV.values(of: ["Id", "SSN", "FIRST", "LAST", "ADDRESS", "DRIVERS", "PASSPORT"],
                                             inFile: Repository.syntheaPatients.path)
        canaries.formUnion(try FixtureCSV.values(of: ["Id"], inFile: Self.folder.appendingPathComponent("encounters.csv").path))
        canaries.formUnion(try FixtureCSV.values(of: ["PATIENT"], inFile: Self.folder.appendingPathComponent("conditions.csv").path))
        canaries.formUnion(try FixtureCSV.values(of: ["OWNERNAME"], inFile: Self.folder.appendingPathComponent("payer_transitions.csv").path,
                                                 longerThan: 5))
        canaries.formUnion(try FixtureCSV.values(of: ["NAME"], inFile: Self.folder.appendingPathComponent("providers.csv").path, longerThan: 5))
        #expect(canaries.count > 900)
        let hits = try PlaintextScan.find(canaries, in: connection)
        #expect(hits.isEmpty, "plaintext found: \(hits.prefix(5))")
    }

    @Test func anEventForAnUnknownPatientIsQuarantinedNotLost() throws {
        let store = try TestStore()
        defer { store.cleanUp() }
        // conditions.csv before any patient: every record names an unknown patient.
        let outcome = try store.run(Self.folder.appendingPathComponent("conditions.csv").path, pipeline: store.pipeline("synthea_conditions"))
        #expect(outcome.status == .rejected)
        #expect(outcome.counts.recordsRead == 438)
        #expect(outcome.counts.recordsQuarantined == 438)
        #expect(outcome.reasons.map(\.rule) == ["unknown_subject"])
        #expect(try store.count("SELECT count(*) FROM clinical.condition") == 0)
        #expect(try store.count("SELECT count(*) FROM etl.quarantine WHERE payload IS NOT NULL") == 438)
    }

    /// Event rows move to their table a chunk at a time: the counts add up across
    /// chunks, and a batch rejected after several chunks moved takes them all back.
    @Test func eventRowsMoveByChunkAndARejectedBatchTakesThemBack() throws {
        let store = try TestStore()
        defer { store.cleanUp() }
        #expect(try store.run(Repository.syntheaPatients.path).status == .loaded)
        let conditions = try Self.conditionLines()
        let loaded = try store.run(try store.write(conditions.joined(separator: "\n") + "\n", name: "conditions.csv"),
                                   pipeline: store.pipeline("synthea_conditions"), chunkSize: 50)
        #expect(loaded.status == .loaded && loaded.counts.rowsLoaded["clinical.condition"] == 438)
        #expect(try store.count("SELECT count(*) FROM clinical.condition") == 438)

        // One record in ten names a patient the vault does not hold: 10% is over the
        // 5% limit, found only once every chunk has moved on.
        let unknown = Self.namingUnknownPatients(conditions, from: 10, every: 10)
        let rejected = try store.run(try store.write(unknown.joined(separator: "\n") + "\n", name: "conditions-2.csv"),
                                     pipeline: store.pipeline("synthea_conditions"), chunkSize: 50)
        #expect(rejected.status == .rejected)
        #expect(rejected.counts.recordsQuarantined == 43)
        #expect(try store.count("SELECT count(*) FROM clinical.condition") == 438)
        #expect(try store.count("SELECT count(*) FROM clinical.condition WHERE batch_id = $1::uuid", [.text(rejected.batchId!.uuidString)]) == 0)
    }

    /// A chunk's rows are built before its patients are looked up, then given
    /// their surrogates, the rows of unknown patients dropped: with unknown
    /// patients scattered through small chunks, every row still lands on its own
    /// patient (the one its encounter belongs to) and none is lost.
    @Test func rowsBuiltBeforeTheLookUpKeepTheirOwnPatients() throws {
        let store = try TestStore()
        defer { store.cleanUp() }
        #expect(try store.run(Repository.syntheaPatients.path).status == .loaded)
        #expect(try store.run(Self.folder.appendingPathComponent("encounters.csv").path,
                              pipeline: store.pipeline("synthea_encounters")).status == .loaded)
        let conditions = Self.namingUnknownPatients(try Self.conditionLines(), from: 7, every: 25)   // 18 of 438: under the 5% limit
        let outcome = try store.run(try store.write(conditions.joined(separator: "\n") + "\n", name: "conditions.csv"),
                                    pipeline: store.pipeline("synthea_conditions"), chunkSize: 50)
        #expect(outcome.status == .loaded)
        #expect(outcome.counts.recordsQuarantined == 18)
        #expect(outcome.counts.rowsLoaded["clinical.condition"] == 438 - 18)
        #expect(try store.count("SELECT count(*) FROM clinical.condition") == 438 - 18)
        #expect(try store.count("""
            SELECT count(*) FROM clinical.condition c JOIN clinical.encounter e USING (encounter_key)
            WHERE c.surrogate_id <> e.surrogate_id
            """) == 0)
        #expect(try store.count("""
            SELECT count(*) FROM clinical.condition c
            WHERE NOT EXISTS (SELECT 1 FROM clinical.encounter e WHERE e.encounter_key = c.encounter_key)
            """) == 0)
    }

    /// Event rows reach their table by text COPY: values holding the format's own
    /// delimiters and escapes (backslash, tab, newline, the NULL marker) arrive as
    /// they were written, and the empty-looking `\N` stays text, not NULL.
    @Test func valuesHoldingCopyDelimitersArriveIntact() throws {
        let store = try TestStore()
        defer { store.cleanUp() }
        #expect(try store.run(Repository.syntheaPatients.path).status == .loaded)
        var conditions = try Self.conditionLines()
        let descriptions = [#"back\slash"#, "tab\there", "line\nbreak", #"\N"#, #"\."#, "trailing\\"]
        for (k, description) in descriptions.enumerated() {
            var fields = conditions[k + 1].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            fields[5] = "\"" + description + "\""
            conditions[k + 1] = fields.prefix(6).joined(separator: ",")
        }
        let outcome = try store.run(try store.write(conditions.joined(separator: "\n") + "\n", name: "conditions.csv"),
                                    pipeline: store.pipeline("synthea_conditions"))
        #expect(outcome.status == .loaded && outcome.counts.recordsQuarantined == 0, "\(outcome.reasons)")
        for description in descriptions {
            #expect(try store.count("SELECT count(*) FROM clinical.condition WHERE description = $1", [.text(description)]) == 1,
                    "\(description.debugDescription)")
        }
        #expect(try store.count("SELECT count(*) FROM clinical.condition WHERE description IS NULL") == 0)
    }

    /// A NUL byte, which no text column can hold, quarantines its record (rule
    /// `nul_byte`, naming the field); the rest of the file loads.
    @Test func aNulByteQuarantinesItsRecordNotTheBatch() throws {
        let store = try TestStore()
        defer { store.cleanUp() }
        #expect(try store.run(Repository.syntheaPatients.path).status == .loaded)
        var lines = try Data(contentsOf: Self.folder.appendingPathComponent("conditions.csv"))
            .split(separator: 0x0A, omittingEmptySubsequences: false).map { Array($0) }
        lines[1] = Array(lines[1].dropLast(4)) + [0x00] + Array(lines[1].suffix(4))   // inside DESCRIPTION
        let path = try store.write("", name: "conditions.csv")
        try Data(lines.joined(separator: [0x0A])).write(to: URL(fileURLWithPath: path))
        let outcome = try store.run(path, pipeline: store.pipeline("synthea_conditions"))
        #expect(outcome.status == .loaded)
        #expect(outcome.counts.recordsQuarantined == 1)
        #expect(outcome.counts.rowsLoaded["clinical.condition"] == 437)
        #expect(outcome.reasons.map { "\($0.field)/\($0.rule)" } == ["DESCRIPTION/nul_byte"])
    }

    /// A number the validator took but PostgreSQL's numeric cannot hold failed the
    /// whole batch at the server (SQLSTATE 22003); now its record is quarantined
    /// as not a number of the column's type, and the rest loads.
    @Test func aNumberBeyondNumericsRangeQuarantinesItsRecordNotTheBatch() throws {
        let store = try TestStore()
        defer { store.cleanUp() }
        var lines = try String(contentsOf: Repository.syntheaPatients, encoding: .utf8).split(separator: "\n").map(String.init)
        // The last two fields, HEALTHCARE_EXPENSES and HEALTHCARE_COVERAGE, are never quoted.
        var tail = lines[2].split(separator: ",", omittingEmptySubsequences: false)
        tail[tail.count - 2] = "1e200000"
        lines[2] = tail.joined(separator: ",")
        let path = try store.write(lines.joined(separator: "\n") + "\n", name: "patients.csv")
        let outcome = try store.run(path)
        #expect(outcome.status == .loaded)
        #expect(outcome.counts.recordsQuarantined == 1)
        #expect(outcome.counts.rowsLoaded["identity.patient"] == lines.count - 2)
        #expect(outcome.reasons.map { "\($0.field)/\($0.rule)" } == ["HEALTHCARE_EXPENSES/type"])
    }
}
