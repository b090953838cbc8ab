import ClinloadCore
import ClinloadEngine
import ClinloadPostgres
import ClinloadXML
import Foundation
import Testing

/// Generated HL7 v2 XML batch files (many messages per file) through the real
/// pipeline: invalid messages are set aside with precise reasons while the rest
/// load, counts add up, updates of one patient collapse into one vault row, and
/// a truncated file commits nothing.
@Suite("HL7 v2 XML batch files")
struct HL7BatchFileTests {
    @Test func invalidMessagesAreQuarantinedAndTheRestLoad() throws {
        let store = try TestStore()
        defer { store.cleanUp() }
        let (path, summary) = try store.generatedMessages(400, seed: 7, invalidEvery: 100, name: "adt.xml")
        #expect(summary.invalidMessages == 4)
        let outcome = try store.run(path, pipeline: store.pipeline("hl7v2_adt"))
        #expect(outcome.status == .loaded, "\(String(describing: outcome.error))")
        #expect(outcome.counts.recordsRead == 400)
        #expect(outcome.counts.recordsQuarantined == 4)
        // Every loaded message made an encounter; A08 updates of a known patient
        // leave one vault row per patient, the latest.
        #expect(outcome.counts.rowsLoaded["clinical.encounter"] == 396)
        let patients = try #require(outcome.counts.rowsLoaded["identity.patient"])
        #expect(patients < 396 && patients > 300)
        #expect(try store.count("SELECT count(*) FROM identity.patient") == patients)
        #expect(try store.count("SELECT count(DISTINCT surrogate_id) FROM clinical.encounter") == patients)

        let connection = try store.connect()
        defer { connection.close() }
        // Each reason names the element path and the XSD rule, with a line; the
        // message is kept only encrypted; the message control id is a plain token.
        let rows = try connection.query("""
            SELECT source_ordinal, source_line, source_offset, reasons->0->>'field', reasons->0->>'rule', (reasons->0->>'line')::int,
                   payload IS NOT NULL
            FROM etl.quarantine WHERE batch_id = $1::uuid ORDER BY source_ordinal
            """, [.text(outcome.batchId!.uuidString)])
        #expect(rows.rowCount == 4)
        let expected: [(field: String, rule: String)] = [("PID/PID.7/TS.1", "xsd_pattern"), ("PID/PID.8", "xsd_enumeration"),
                                                         ("PID/PID.5", "xsd_unexpected_element"), ("MSH/MSH.10", "xsd_length")]
        for r in 0..<rows.rowCount {
            #expect(rows.int(r, 0) == (r + 1) * 100)
            #expect((rows.int(r, 1) ?? 0) > 1 && (rows.int(r, 2) ?? 0) > 0)
            #expect(rows.string(r, 3) == expected[r].field && rows.string(r, 4) == expected[r].rule, "row \(r)")
            #expect((rows.int(r, 5) ?? 0) >= (rows.int(r, 1) ?? 0))
            #expect(rows.string(r, 6) == "t")
        }

        // No identifier of the file in plaintext anywhere (vault ciphertexts aside).
        let canaries = Set(try HL7Canaries.collect(from: [path]).sorted().prefix(400))
        #expect(canaries.count == 400)
        let hits = try PlaintextScan.find(canaries, in: connection)
        #expect(hits.isEmpty, "plaintext found: \(hits)")
    }

    /// Coded OBX answers (CWE) are codes, kept in `value_code`; `value_text` holds
    /// only what was written as text or a number, so an extract can release codes
    /// as they are and drop or scrub the free text.
    @Test func codedResultsGoToValueCodeAndTextToValueText() throws {
        let store = try TestStore()
        defer { store.cleanUp() }
        let (path, _) = try store.generatedMessages(200, seed: 11, kinds: .oru, name: "oru.xml")
        #expect(try store.run(path, pipeline: store.pipeline("hl7v2_oru")).status == .loaded)
        #expect(try store.count("SELECT count(*) FROM clinical.observation WHERE value_type = 'CWE' AND value_code IS NOT NULL") > 0)
        #expect(try store.count("SELECT count(*) FROM clinical.observation WHERE value_type = 'CWE' AND (value_text IS NOT NULL OR value_code IS NULL)") == 0)
        #expect(try store.count("SELECT count(*) FROM clinical.observation WHERE value_type = 'NM' AND value_text IS NOT NULL AND value_code IS NULL") > 0)
    }

    /// The vault moves on a chunk (256 messages) at a time. A patient seen again in
    /// a later chunk ends with its latest message's row, whether it was new to
    /// the vault (inserted by the first chunk, updated at the end) or known from
    /// an earlier batch (both of this file's messages wait as updates).
    @Test func theLatestMessageOfAPatientWinsAcrossChunks() throws {
        let store = try TestStore()
        defer { store.cleanUp() }
        /// `path` with a copy of `donor`'s first message added after its last
        /// message, and also before its first when `atStart`.
        func withCopies(of donor: String, in path: String, atStart: Bool, name: String) throws -> String {
            var text = try String(contentsOfFile: path, encoding: .utf8)
            let donorText = try String(contentsOfFile: donor, encoding: .utf8)
            let start = try #require(donorText.range(of: "<ADT_A0")).lowerBound
            let root = donorText[donorText.index(after: start)...].prefix { $0 != ">" && $0 != " " }
            let end = try #require(donorText.range(of: "</\(root)>", range: start..<donorText.endIndex)).upperBound
            let message = String(donorText[start..<end]) + "\n"
            let total = text.components(separatedBy: "<ADT_A0").count - 1 + (atStart ? 2 : 1)
            text = text.replacingOccurrences(of: "<BTS>", with: message + "<BTS>")
            if atStart { text.insert(contentsOf: message, at: try #require(text.range(of: "<ADT_A0")).lowerBound) }
            text = text.replacingOccurrences(of: #"<BTS\.1>\d+</BTS\.1>"#, with: "<BTS.1>\(total)</BTS.1>", options: .regularExpression)
            return try store.write(text, name: name)
        }
        let (first, _) = try store.generatedMessages(300, seed: 21, name: "first.xml")
        let again = try withCopies(of: first, in: first, atStart: false, name: "again.xml")
        let outcome = try store.run(again, pipeline: store.pipeline("hl7v2_adt"))
        #expect(outcome.status == .loaded, "\(String(describing: outcome.error))")
        #expect(outcome.counts.recordsRead == 301 && outcome.counts.rowsLoaded["clinical.encounter"] == 301)
        let patients = try #require(outcome.counts.rowsLoaded["identity.patient"])
        #expect(try store.count("SELECT count(*) FROM identity.patient") == patients)
        for table in ["identity.patient", "clinical.patient"] {
            #expect(try store.count("SELECT count(*) FROM \(table) WHERE source_ordinal = 301") == 1, "\(table)")
            #expect(try store.count("SELECT count(*) FROM \(table) WHERE source_ordinal = 1") == 0, "\(table)")
        }
        let connection = try store.connect()
        defer { connection.close() }
        let patient = try #require(try connection.query("SELECT surrogate_id::text FROM identity.patient WHERE source_ordinal = 301").string(0, 0))

        // Another file holding that patient first and last (302 messages: three chunks).
        let (other, _) = try store.generatedMessages(300, seed: 22, name: "other.xml")
        let later = try withCopies(of: first, in: other, atStart: true, name: "later.xml")
        let second = try store.run(later, pipeline: store.pipeline("hl7v2_adt"))
        #expect(second.status == .loaded, "\(String(describing: second.error))")
        #expect(second.counts.recordsRead == 302)
        let row = try connection.query("SELECT source_ordinal, batch_id::text FROM identity.patient WHERE surrogate_id = $1::uuid", [.text(patient)])
        #expect(row.rowCount == 1)
        #expect(row.int(0, 0) == 302 && row.string(0, 1) == second.batchId?.uuidString.lowercased())
        #expect(try store.count("SELECT count(*) FROM clinical.patient WHERE surrogate_id = $1::uuid AND source_ordinal = 302", [.text(patient)]) == 1)
        // Each patient the file touched counts once, new or updated (the two
        // generated files share most of their patients).
        #expect(try store.count("SELECT count(*) FROM identity.patient WHERE batch_id = $1::uuid", [.text(second.batchId!.uuidString)])
                == second.counts.rowsLoaded["identity.patient"])
    }

    @Test func moreInvalidMessagesThanTheRatioAllowsCommitNothing() throws {
        let store = try TestStore()
        defer { store.cleanUp() }
        // Three chunks of records: event rows move on per chunk, and are taken back.
        let (path, _) = try store.generatedMessages(600, seed: 8, invalidEvery: 10, name: "bad.xml")
        let outcome = try store.run(path, pipeline: store.pipeline("hl7v2_adt"))
        #expect(outcome.status == .rejected)
        #expect(outcome.counts.recordsRead == 600 && outcome.counts.recordsQuarantined == 60)
        #expect(try store.count("SELECT count(*) FROM identity.patient") == 0)
        for table in ["clinical.patient", "clinical.encounter", "clinical.condition"] {
            #expect(try store.count("SELECT count(*) FROM \(table)") == 0, "\(table)")
        }
        #expect(try store.count("SELECT count(*) FROM etl.quarantine") == 60)
    }

    @Test func aTruncatedFileIsAnErrorAndCommitsNothing() throws {
        let store = try TestStore()
        defer { store.cleanUp() }
        let (path, _) = try store.generatedMessages(50, seed: 9, name: "full.xml")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let cut = try store.write(String(decoding: bytes.prefix(bytes.count * 2 / 3), as: UTF8.self), name: "cut.xml")
        let outcome = try store.run(cut, pipeline: store.pipeline("hl7v2_adt"))
        #expect(outcome.status == .failed)
        #expect(outcome.error?.code == .malformedXML)
        #expect(outcome.error?.location.file == cut && (outcome.error?.location.line ?? 0) > 1)
        #expect(try store.count("SELECT count(*) FROM identity.patient") == 0)
        #expect(try store.count("SELECT count(*) FROM etl.quarantine") == 0)
    }

    @Test func resultsJoinTheAdmissionsOfTheSamePatients() throws {
        let store = try TestStore()
        defer { store.cleanUp() }
        let adt = try store.generatedMessages(60, seed: 5, kinds: .adt, name: "adt.xml")
        let oru = try store.generatedMessages(60, seed: 5, kinds: .oru, name: "oru.xml")
        #expect(try store.run(adt.path, pipeline: store.pipeline("hl7v2_adt")).status == .loaded)
        let results = try store.run(oru.path, pipeline: store.pipeline("hl7v2_oru"))
        #expect(results.status == .loaded, "\(String(describing: results.error))")
        #expect((results.counts.rowsLoaded["clinical.observation"] ?? 0) > 60)
        // Same seed, same patients: results attach to the patients the admissions
        // created (an ADT file also holds A08 updates, so a few ORU patients are new).
        let attached = try store.count("""
            SELECT count(DISTINCT o.surrogate_id) FROM clinical.observation o
            WHERE EXISTS (SELECT 1 FROM clinical.encounter e WHERE e.surrogate_id = o.surrogate_id)
            """)
        let resulted = try store.count("SELECT count(DISTINCT surrogate_id) FROM clinical.observation")
        #expect(resulted >= 55 && attached >= resulted - 8, "\(attached) of \(resulted)")
    }
}
