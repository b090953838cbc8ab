import Foundation
import Testing

/// What `pipelines/cda_documents.yaml` must do with each ClinicalDocument file of
/// the shared corpus, with `CLINLOAD_CDA_SCHEMA` pointing at the corpus copy of
/// `CDA_SDTC.xsd`. One file is one batch, and one document is one record.
/// docs/feeds/cda.md explains the decisions behind each outcome. The outcomes were
/// worked out by hand: `xmllint --noout --nonet --schema CDA_SDTC.xsd` gave
/// validity and the first error (libxml2 2.9.14), and an emulation of the
/// pipeline's paths gave keys and row counts.
enum CDACorpusOutcome: Sendable, Equatable {
    /// The batch loads. The counts are the rows each table receives from this
    /// document. Tables the pipeline writes but this document leaves empty are
    /// listed with 0.
    case loads(rows: [String: Int])
    /// The document (the file's only record) is quarantined, and the batch is
    /// rejected because one record is over `max_reject_ratio`. `rule` is the
    /// rule of the record's **first** quarantine reason. `element` is that
    /// reason's field: the last step of the element path inside the document
    /// for XML rules, or the pipeline field name for field rules (`required`).
    case quarantined(rule: String, element: String?)
    /// The whole file is refused before any record (the batch error code).
    case fileRejected(code: String)
}

struct CDACorpusCase: Sendable {
    /// Relative to the shared corpus folder (`CLINLOAD_CORPUS`).
    let path: String
    let expected: CDACorpusOutcome
    /// Why, without any value from the file.
    let why: String
}

enum CDACorpusExpectations {
    static let pipeline = "cda_documents"
    /// The value `CLINLOAD_CDA_SCHEMA` takes in the tests (relative to the corpus).
    static let schema = "HL7__CDA-core-2.0/schema/extensions/SDTC/infrastructure/cda/CDA_SDTC.xsd"

    /// Folders whose files the table must cover completely. `LICENSE` and
    /// other non-XML files are not documents.
    static let coveredFolders = ["HL7__C-CDA-Examples", "HL7__CDA-core-2.0/examples"]
    static let extraFiles = ["HL7__CDA-core-2.0/schema/normative/infrastructure/cda/SampleCDADocument.xml"]

    static func rows(condition: Int = 0, medication: Int = 0, observation: Int = 0, encounter: Int = 0) -> CDACorpusOutcome {
        .loads(rows: [
            "identity.patient": 1, "clinical.patient": 1,
            "clinical.condition": condition, "clinical.medication": medication,
            "clinical.observation": observation, "clinical.encounter": encounter,
        ])
    }

    /// Documents that identify the patient only by an SSN id are keyed by it
    /// (the pipeline prefers an MRN): they load like any other.
    static let ssnOnly = rows()

    static let cases: [CDACorpusCase] = [
        // MARK: HL7__C-CDA-Examples/Documents (C-CDA 2.1 document types)
        .init(path: "HL7__C-CDA-Examples/Documents/CCD/CCD 1/CCD.XML", expected: rows(condition: 4, medication: 2, observation: 6, encounter: 1),
              why: "valid; patientRole/id is an keyed by the SSN id (no MRN). Rows: condition 4 (one concern holds two problems), medication 2, observation 6, encounter 1"),
        .init(path: "HL7__C-CDA-Examples/Documents/CCD/CCD 2/CCD.xml", expected: rows(observation: 1),
              why: "valid; MRN root+extension; problems and medications sections are nullFlavor NI (no entries); one result whose value is nullFlavor"),
        .init(path: "HL7__C-CDA-Examples/Documents/Care Plan/Care_Plan.xml", expected: ssnOnly,
              why: "valid; keyed by the SSN id (no MRN); care-plan sections only (none mapped)"),
        .init(path: "HL7__C-CDA-Examples/Documents/Consultation Note/Consultation_Note.xml", expected: rows(condition: 4, medication: 2, observation: 6),
              why: "valid; keyed by the SSN id (no MRN). Rows: condition 4, medication 2, observation 6"),
        .init(path: "HL7__C-CDA-Examples/Documents/Diagnostic Imaging Report/Diagnostic_Imaging_Report.xml", expected: rows(),
              why: "valid; MRN; DIR sections only (none mapped)"),
        .init(path: "HL7__C-CDA-Examples/Documents/Discharge Summary/Discharge_Summary.xml", expected: rows(condition: 2),
              why: "valid; MRN and SSN; problems 5.1 (2 problem observations); discharge medications (11.1) are not the medications section"),
        .init(path: "HL7__C-CDA-Examples/Documents/History and Physical/History_and_Physical.xml",
              expected: rows(condition: 2, medication: 1, observation: 3),
              why: "valid; MRN and SSN; sections carry both 2.x and 2.x.1 templates (matched once)"),
        .init(path: "HL7__C-CDA-Examples/Documents/Operative Note/Operative_Note.xml", expected: rows(),
              why: "valid; MRN; operative sections only (none mapped)"),
        .init(path: "HL7__C-CDA-Examples/Documents/Procedure Note/Procedure_Note.xml", expected: rows(),
              why: "valid; MRN; procedure sections only (none mapped)"),
        .init(path: "HL7__C-CDA-Examples/Documents/Progress Note/Progress_Note.xml",
              expected: rows(condition: 3, medication: 2, observation: 6),
              why: "valid; MRN; only the 'entries optional' templates (2.5, 2.1, 2.3): the second each-alternative"),
        .init(path: "HL7__C-CDA-Examples/Documents/Referral Note/Referral_Note.xml",
              expected: .quarantined(rule: "xsd_enumeration", element: "participantRole"),
              why: "fails CDA_SDTC.xsd: participantRole/@classCode is a ParticipationType code, not in RoleClassRoot (libxml2 1826) at component/structuredBody/component/section/entry/act/participant/participantRole; rejected by decision (docs/feeds/cda.md); also SSN only"),
        .init(path: "HL7__C-CDA-Examples/Documents/Transfer Summary/Transfer_Summary.xml",
              expected: .quarantined(rule: "xsd_enumeration", element: "participantRole"),
              why: "as Referral_Note (same participantRole/@classCode); also SSN only and a 9-digit encounter effectiveTime (datetime)"),

        // MARK: HL7__C-CDA-Examples, other folders
        .init(path: "HL7__C-CDA-Examples/Allergies/Allergy to specific drug Penicillin/Allergy to specific drug Penicillin(C-CDA2.1).xml",
              expected: .fileRejected(code: "malformed_xml"),
              why: "fragment (section root, no namespace) using the undeclared xsi: prefix: not namespace-well-formed"),
        .init(path: "HL7__C-CDA-Examples/General/External Document Reference/PROBLEMS_in_Empty_C-CDA_2.1 (C-CDAR2.1).xml",
              expected: rows(condition: 2),
              why: "valid; keyed by the SSN id (no MRN). Rows: condition 2 (one coded by translation only)"),
        .init(path: "HL7__C-CDA-Examples/General/Parent Document Replace Relationship/CCD Parent Document Replace (C-CDAR2.1).xml",
              expected: ssnOnly,
              why: "valid; keyed by the SSN id (no MRN); mapped sections are empty"),
        .init(path: "HL7__C-CDA-Examples/Guide Examples/Basic Occupation Observation_2.16.840.1.113883.10.20.22.4.503/Basic Occupation Observation Example.xml",
              expected: .fileRejected(code: "malformed_xml"),
              why: "fragment (observation root); not well-formed: tag mismatch (libxml2 76), and undeclared xsi: prefix"),
        .init(path: "HL7__C-CDA-Examples/Guide Examples/US Realm Header (V3)_2.16.840.1.113883.10.20.22.1.1/US Realm Header (V3) Example.xml",
              expected: .quarantined(rule: "wrong_namespace", element: "ClinicalDocument"),
              why: "well-formed; ClinicalDocument in no namespace; then xsd_no_declaration (libxml2 1845) on the same element; no recordTarget"),
        .init(path: "HL7__C-CDA-Examples/Header/Direct Address/Patient and Provider Organization Direct Address(C-CDAR2.1).xml",
              expected: .quarantined(rule: "xsd_content", element: "ClinicalDocument"),
              why: "character content in element-only ClinicalDocument (libxml2 1843), then recordTarget/author missing (1871)"),
        .init(path: "HL7__C-CDA-Examples/Header/Patient Deceased/Patient Deceased Extension(C-CDA2.1).xml",
              expected: .fileRejected(code: "malformed_xml"),
              why: "fragment (recordTarget root, no namespace) using the undeclared sdtc: prefix"),
        .init(path: "HL7__C-CDA-Examples/Health Concerns/Health Concerns Link to Problems Section/Health Concerns Link to Problems Section(C-CDA2.1).xml",
              expected: .fileRejected(code: "malformed_xml"),
              why: "ClinicalDocument in no namespace using the undeclared xsi: prefix: not namespace-well-formed"),
        .init(path: "HL7__C-CDA-Examples/Social History/Birth Sex/Birth Sex(C-CDA2.1).xml",
              expected: .fileRejected(code: "malformed_xml"),
              why: "fragment (observation root, no namespace) using the undeclared xsi: prefix"),
        .init(path: "HL7__C-CDA-Examples/Unstructured/CDA reference PDF/Unstructured_Document_reference.xml",
              expected: ssnOnly,
              why: "valid; keyed by the SSN id (no MRN); nonXMLBody (dropped)"),
        .init(path: "HL7__C-CDA-Examples/Unstructured/CDA with Embedded PDF 2/CDA_with_Embedded_PDF.xml", expected: rows(),
              why: "valid; MRN (first of two non-SSN ids); embedded PDF body dropped: identity only"),
        .init(path: "HL7__C-CDA-Examples/Unstructured/CDA with Embedded Text plain/CDA_Embedded_Text_Plain_Surgical_Consult.xml",
              expected: ssnOnly,
              why: "valid; keyed by the SSN id (no MRN); text/plain body (dropped)"),

        // MARK: HL7__CDA-core-2.0
        .init(path: "HL7__CDA-core-2.0/examples/cda.xml",
              expected: .quarantined(rule: "xsd_unexpected_element", element: "id"),
              why: "typeId missing: id met where realmCode/typeId expected (libxml2 1871)"),
        .init(path: "HL7__CDA-core-2.0/examples/sampleCCD.xml", expected: rows(condition: 5, medication: 3, observation: 7, encounter: 1),
              why: "valid (SDTC); keyed by the SSN id (no MRN). Rows: condition 5, medication 3, observation 7, encounter 1"),
        .init(path: "HL7__CDA-core-2.0/schema/normative/infrastructure/cda/SampleCDADocument.xml", expected: rows(),
              why: "valid; plain CDA R2 with MRN; no C-CDA section templates, so no rows"),
    ]
}

@Suite("CDA corpus expectation table")
struct CDACorpusExpectationTableTests {
    /// The table names every XML file of the covered corpus folders, and only
    /// existing files, so a corpus update cannot silently leave a document untested.
    @Test func listsEveryCorpusDocument() throws {
        let corpus = Repository.corpus
        var onDisk = Set(CDACorpusExpectations.extraFiles)
        for folder in CDACorpusExpectations.coveredFolders {
            let base = corpus.appendingPathComponent(folder)
            let walker = try #require(FileManager.default.enumerator(atPath: base.path))
            for case let relative as String in walker where relative.lowercased().hasSuffix(".xml") {
                onDisk.insert(folder + "/" + relative)
            }
        }
        let listed = CDACorpusExpectations.cases.map(\.path)
        #expect(Set(listed).count == listed.count, "a file is listed twice")
        #expect(Set(listed) == onDisk, "missing: \(onDisk.subtracting(listed).sorted()); not on disk: \(Set(listed).subtracting(onDisk).sorted())")
        for path in CDACorpusExpectations.extraFiles + [CDACorpusExpectations.schema] {
            #expect(FileManager.default.fileExists(atPath: corpus.appendingPathComponent(path).path), "\(path)")
        }
    }
}
