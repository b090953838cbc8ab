/// What the HL7 v2 XML schemas (`schemas/hl7v2`) and pipelines
/// (`pipelines/hl7v2_adt.yaml`, `pipelines/hl7v2_oru.yaml`) should do with every
/// HL7 v2 XML file of the shared corpus (paths relative to the corpus folder,
/// read in place; nothing here is copied from the files but their names).
///
/// Which pipeline a file is offered to: by its root element, `ADT_*` to
/// `hl7v2_adt`, `ORU_*` to `hl7v2_oru`, anything else to `hl7v2_adt`.
///
/// How the outcomes were derived:
/// - `fileRejected("unsafe_xml")`: the file has a DOCTYPE (an external entity
///   or a remote DTD); it is refused before any record is read.
/// - `quarantined(rule: "unsupported_structure", element: ROOT)`: the root is
///   not one of the pipeline's `records` (nor an envelope element).
/// - `quarantined(rule: "unsupported_version", element: "MSH/MSH.12")`: 2.1 and
///   2.2 are not keys of `schemas_by_version`. The file is validated against the
///   fallback `schema:`, the version gate (`schemas/hl7v2/unsupported-version.xsd`),
///   whose only error (`xsd_enumeration` on MSH.12) the engine's own rule supersedes.
/// - `quarantined(rule: "xsd_…", element:)`: the message reaches the XSD that
///   its MSH-12 selects (`schema` below) and fails; rule and element are those
///   of xmllint's *first* error on that XSD (`xmllint --noout --nonet --schema`),
///   mapped as: `[facet 'pattern']` → xsd_pattern, `[facet 'enumeration']` →
///   xsd_enumeration, `[facet 'maxLength'|'minLength'|'length']` → xsd_length,
///   "not a valid value of the atomic type" → xsd_datatype, "This element is not
///   expected" → xsd_unexpected_element, "Missing child element(s)" →
///   xsd_missing_element, "No matching global (element) declaration" →
///   xsd_no_declaration, "The attribute … is not allowed" → xsd_attribute,
///   "Character content other than whitespace is not allowed" / "Element
///   content is not allowed" → xsd_content.
/// - `element` is the path of the offending element inside the record, root
///   excluded (`MSH/MSH.7`, `…/PID/PID.7/TS.1`): the `field` of the quarantine
///   reason. For `unsupported_structure` it is the root's local name.
/// - `loads(messages:)`: every message validates and has its natural key; the
///   counts of rows each message yields and the vault columns it fills were
///   worked out by applying the pipelines' paths to the file by hand.
///
/// A single-message file whose message is quarantined has a reject ratio of 1,
/// above both pipelines' `max_reject_ratio`: the batch ends `rejected` with the
/// quarantine kept. `.quarantined` states the (first) reason, not the batch state.
enum HL7v2CorpusExpectations {
    enum Outcome: Equatable, Sendable {
        /// Every message loads.
        case loads(messages: Int)
        /// The (single) message is quarantined; its first reason has this rule
        /// and this element path (root excluded; nil: not asserted).
        case quarantined(rule: String, element: String?)
        /// The whole file is refused before records are read.
        case fileRejected(code: String)
    }

    /// Where the natural key (`mrn`) of a loading message comes from.
    enum NaturalKey: Equatable, Sendable {
        /// The PID-3 repetition whose CX-5 is `MR` (first alternative).
        case typedMR
        /// No PID-3 is typed MR or PI (2.3-era files send it untyped): the first
        /// PID-3 repetition, not typed as another kind of id (third alternative).
        case firstPatientIdentifier
    }

    /// What one loading message yields.
    struct Load: Equatable, Sendable {
        var naturalKey: NaturalKey
        /// identity.patient columns that are not NULL.
        var identityColumns: Set<String>
        /// clinical.patient columns that are not NULL.
        var clinicalPatientColumns: Set<String>
        /// Rows per clinical table.
        var encounters: Int
        var conditions: Int
        var observations: Int
        /// Whether the rows carry an encounter_key (the message has a visit number PV1-19).
        var hasEncounterKey: Bool
        /// Whether observation rows carry an order_key (OBR-3 or OBR-2).
        var hasOrderKey: Bool
    }

    struct Entry: Sendable {
        /// Relative to the corpus folder.
        let path: String
        /// The pipeline the file is offered to (by root element).
        let pipeline: String?
        let expected: Outcome
        /// The root element's local name and the message's MSH-12 (nil when unread).
        let root: String
        let version: String?
        /// The XSD that MSH-12 selects, relative to the repository (nil: not reached).
        let schema: String?
        /// For `.loads`: what the message yields.
        let load: Load?
        let note: String
    }

    /// The simple shape: path, pipeline, outcome.
    static var table: [(path: String, pipeline: String?, expected: Outcome)] {
        files.map { ($0.path, $0.pipeline, $0.expected) }
    }

    // MARK: - helpers

    private static let v2fhir = "HL7__v2-to-fhir/archive/src/test/resources/v2/"
    private static let mdmi = "MDMIModels__V2Models/samples/"
    private static let hapi = "hapifhir__hapi-hl7v2/hapi-test/src/test/resources/ca/uhn/hl7v2/parser/"

    private static let adt = "hl7v2_adt"
    private static let oru = "hl7v2_oru"

    private static func unsupported(_ path: String, root: String, version: String?, schema: String?, _ note: String) -> Entry {
        Entry(path: path, pipeline: root.hasPrefix("ORU_") ? oru : adt,
              expected: .quarantined(rule: "unsupported_structure", element: root),
              root: root, version: version, schema: schema, load: nil, note: note)
    }

    private static func unsafe(_ path: String, root: String, version: String?, _ note: String) -> Entry {
        Entry(path: path, pipeline: root.hasPrefix("ORU_") ? oru : adt,
              expected: .fileRejected(code: "unsafe_xml"),
              root: root, version: version, schema: nil, load: nil, note: note)
    }

    /// clinical.patient columns that follow from identity columns.
    private static func clinical(from identity: Set<String>, marital: Bool) -> Set<String> {
        var columns: Set<String> = []
        if identity.contains("birth_date") { columns.insert("birth_year") }
        if identity.contains("death_date") { columns.insert("death_year") }
        if identity.contains("sex") { columns.insert("sex") }
        if identity.contains("race") { columns.insert("race") }
        if identity.contains("ethnicity") { columns.insert("ethnicity") }
        if identity.contains("state") { columns.insert("state") }
        if identity.contains("zip") { columns.insert("zip3") }
        if marital { columns.insert("marital_status") }
        return columns
    }

    // MARK: - the table (every v2 XML file of the corpus)

    static let files: [Entry] = [
        // --- HL7/v2-to-fhir: ADT ---
        Entry(
            path: v2fhir + "ADT/A01-Admit-Patient-(example-from-V2-8-2-base-standard)-v2.8.xml",
            pipeline: adt, expected: .loads(messages: 1),
            root: "ADT_A01", version: "2.8", schema: "schemas/hl7v2/v2.7.xsd",
            load: Load(
                naturalKey: .typedMR,
                identityColumns: ["mrn", "ssn", "drivers_license", "family_name", "given_name", "name_suffix",
                                  "birth_date", "sex", "race", "street_address", "city", "state", "zip", "county", "phone"],
                clinicalPatientColumns: clinical(
                    from: ["birth_date", "sex", "race", "state", "zip"], marital: true),
                encounters: 1, conditions: 0, observations: 0, hasEncounterKey: false, hasOrderKey: false),
            note: "2.8 spelling throughout (DTM text, CWE for sex / race / patient class, PL with HD); SSN from PID-19; driver's licence as plain text (withdrawn field); county from PID-12; no PV1-19, no admit time"),
        Entry(
            path: v2fhir + "ADT/A04-REDOX-A28-1-v2.3.xml",
            pipeline: adt, expected: .loads(messages: 1),
            root: "ADT_A04", version: "2.3", schema: "schemas/hl7v2/v2.3.xsd",
            load: Load(
                naturalKey: .firstPatientIdentifier,
                identityColumns: ["mrn", "ssn", "family_name", "given_name", "birth_date", "sex",
                                  "street_address", "city", "state", "zip", "county", "phone"],
                clinicalPatientColumns: clinical(from: ["birth_date", "sex", "state", "zip"], marital: true),
                encounters: 1, conditions: 0, observations: 0, hasEncounterKey: true, hasOrderKey: false),
            note: "event-named root; 2.3 text forms (XPN.1, XAD.1, CM_MSG, MSH-12 text, marital status as IS); PID-3 untyped (the assigning authority is named MR, CX-5 absent); PD1, NK1, GT1 and ADT_A04.INSURANCE are dropped"),
        Entry(
            path: v2fhir + "ADT/A04-Register-Patient-v2.1.xml",
            pipeline: adt, expected: .quarantined(rule: "unsupported_version", element: "MSH/MSH.12"),
            root: "ADT_A04", version: "2.1", schema: "schemas/hl7v2/unsupported-version.xsd",
            load: nil,
            note: "version 2.1 is unsupported (the version gate's XSD error on MSH.12 is superseded by the rule)"),
        unsupported(v2fhir + "ADT/A05-A28-Add-Patient-v2.4.xml", root: "ADT_A05", version: "2.4", schema: "schemas/hl7v2/v2.4.xsd",
                    "ADT_A05 (pre-admit / add person) is not loaded"),
        Entry(
            path: v2fhir + "ADT/A08-Update-Patient-v2.3.xml",
            pipeline: adt, expected: .loads(messages: 1),
            root: "ADT_A08", version: "2.3", schema: "schemas/hl7v2/v2.3.xsd",
            load: Load(
                naturalKey: .firstPatientIdentifier,
                identityColumns: ["mrn", "family_name", "given_name", "birth_date", "sex",
                                  "street_address", "city", "state", "zip"],
                clinicalPatientColumns: clinical(from: ["birth_date", "sex", "state", "zip"], marital: false),
                encounters: 1, conditions: 0, observations: 0, hasEncounterKey: false, hasOrderKey: false),
            note: "event-named root, 2.3; PID-3 untyped; no visit number; NK1 and GT1 (SSN, e-mail, employer of the guarantor) are dropped"),
        unsupported(v2fhir + "ADT/A16-REDOX-A16-3-v2.3.xml", root: "ADT_A16", version: "2.3", schema: "schemas/hl7v2/v2.3.xsd",
                    "pending discharge: not loaded"),
        unsupported(v2fhir + "ADT/A31-A05-Pre-admit-Patient-v2.3.xml", root: "ADT_A31", version: "2.3", schema: "schemas/hl7v2/v2.3.xsd",
                    "update person information: not loaded"),
        unsupported(v2fhir + "ADT/A34-Merge-Patients---Patient-ID-v2.3.xml", root: "ADT_A34", version: "2.3", schema: "schemas/hl7v2/v2.3.xsd",
                    "merge patient id: not loaded (merges need their own handling)"),
        unsupported(v2fhir + "ADT/A39-Patient-Merge-VHIS-2-v2.5.1.xml", root: "ADT_A39", version: "2.5.1", schema: "schemas/hl7v2/v2.5.xsd",
                    "merge person: not loaded"),
        unsupported(v2fhir + "ADT/A40-REDOX-A40-2-v2.3.xml", root: "ADT_A40", version: "2.3", schema: "schemas/hl7v2/v2.3.xsd",
                    "merge patient: not loaded"),

        // --- HL7/v2-to-fhir: other structures (offered to hl7v2_adt) ---
        unsupported(v2fhir + "DFT/P03-Charge-v2.3.xml", root: "DFT_P03", version: "2.3", schema: "schemas/hl7v2/v2.3.xsd",
                    "financial transaction"),
        unsupported(v2fhir + "MFN/M02-Provider-Master-File-v2.3.xml", root: "MFN_M02", version: "2.3", schema: "schemas/hl7v2/v2.3.xsd",
                    "master file (providers)"),
        unsupported(v2fhir + "OML/O21-Basic-NG-ExampleMessage-v2.5.1.xml", root: "OML_O21", version: "2.5.1", schema: "schemas/hl7v2/v2.5.xsd",
                    "lab order"),
        unsupported(v2fhir + "OML/O21-Lipid-Panel-GU-ExampleMessage-v2.5.1.xml", root: "OML_O21", version: "2.5.1", schema: "schemas/hl7v2/v2.5.xsd",
                    "lab order"),
        unsupported(v2fhir + "OML/O21-Lipid-Panel-NG-ExampleMessage-v2.5.1.xml", root: "OML_O21", version: "2.5.1", schema: "schemas/hl7v2/v2.5.xsd",
                    "lab order"),
        unsupported(v2fhir + "OML/O21-Reflex-GU-ExampleMessage-v2.5.1.xml", root: "OML_O21", version: "2.5.1", schema: "schemas/hl7v2/v2.5.xsd",
                    "lab order"),
        unsupported(v2fhir + "OML/O21-Reflex-NG-ExampleMessage-v2.5.1.xml", root: "OML_O21", version: "2.5.1", schema: "schemas/hl7v2/v2.5.xsd",
                    "lab order"),
        unsupported(v2fhir + "OML/O21-multiOBR-GU-PRU-ExampleMessage-v2.5.1.xml", root: "OML_O21", version: "2.5.1", schema: "schemas/hl7v2/v2.5.xsd",
                    "lab order"),

        // --- HL7/v2-to-fhir: ORU ---
        Entry(
            path: v2fhir + "ORU/R01-Basic-NG-ExampleMessage-v2.5.1.xml",
            pipeline: oru, expected: .loads(messages: 1),
            root: "ORU_R01", version: "2.5.1", schema: "schemas/hl7v2/v2.5.xsd",
            load: Load(
                naturalKey: .typedMR,
                identityColumns: ["mrn", "family_name", "given_name", "birth_date", "sex", "race", "ethnicity",
                                  "street_address", "city", "state", "zip", "phone"],
                clinicalPatientColumns: clinical(
                    from: ["birth_date", "sex", "race", "ethnicity", "state", "zip"], marital: false),
                encounters: 0, conditions: 0, observations: 3, hasEncounterKey: false, hasOrderKey: true),
            note: "two CWE-valued results (value_code = the answer code, no value_text or value_numeric) and one NM result; phone from XTN-7 (no formatted number); ORC dropped"),
        Entry(
            path: v2fhir + "ORU/R01-Lipid-Panel-NG-ExampleMessage-v2.5.1.xml",
            pipeline: oru, expected: .loads(messages: 1),
            root: "ORU_R01", version: "2.5.1", schema: "schemas/hl7v2/v2.5.xsd",
            load: Load(
                naturalKey: .typedMR,
                identityColumns: ["mrn", "family_name", "given_name", "birth_date", "sex", "race"],
                clinicalPatientColumns: clinical(from: ["birth_date", "sex", "race"], marital: false),
                encounters: 0, conditions: 0, observations: 4, hasEncounterKey: false, hasOrderKey: true),
            note: "pre-adopts later fields (MSH-2 with a truncation character, MSH-21 profiles, OBX-23..25 and OBX-29) and has a SPECIMEN group: valid; four NM results"),
        unsupported(v2fhir + "SIU/S12-New-Appointment-v2.3.xml", root: "SIU_S12", version: "2.3", schema: "schemas/hl7v2/v2.3.xsd",
                    "scheduling"),
        unsupported(v2fhir + "SIU/S12-sample-s12-v2.3.xml", root: "SIU_S12", version: "2.3", schema: "schemas/hl7v2/v2.3.xsd",
                    "scheduling"),
        unsupported(v2fhir + "SIU/S13-sample-s13-v2.3.xml", root: "SIU_S13", version: "2.3", schema: "schemas/hl7v2/v2.3.xsd",
                    "scheduling"),
        unsupported(v2fhir + "SIU/S15-sample-s15-v2.3.xml", root: "SIU_S15", version: "2.3", schema: "schemas/hl7v2/v2.3.xsd",
                    "scheduling"),
        unsupported(v2fhir + "SIU/S26-sample-s26-v2.3.xml", root: "SIU_S26", version: "2.3", schema: "schemas/hl7v2/v2.3.xsd",
                    "scheduling"),
        unsupported(v2fhir + "VXU/V04-historical-admin-v2.5.1.xml", root: "VXU_V04", version: "2.5.1", schema: "schemas/hl7v2/v2.5.xsd",
                    "immunization update"),
        unsupported(v2fhir + "VXU/V04-multiple-admins-v2.5.1.xml", root: "VXU_V04", version: "2.5.1", schema: "schemas/hl7v2/v2.5.xsd",
                    "immunization update"),
        unsupported(v2fhir + "VXU/V04-new-admin-v2.5.1.xml", root: "VXU_V04", version: "2.5.1", schema: "schemas/hl7v2/v2.5.xsd",
                    "immunization update"),

        // --- MDMIModels/V2Models ---
        Entry(
            path: mdmi + "ADT_A01.xml",
            pipeline: adt, expected: .quarantined(rule: "xsd_content", element: "MSH/MSH.7"),
            root: "ADT_A01", version: "2.5.1", schema: "schemas/hl7v2/v2.5.xsd",
            load: nil,
            note: "labelled 2.5.1 but spelled like 2.8 (MSH-7 as DTM text where 2.5 has TS.1); it also lacks the required EVN and PID (the third error)"),
        unsupported(mdmi + "OMLtest.xml", root: "OML_O21", version: "2.5.1", schema: "schemas/hl7v2/v2.5.xsd",
                    "lab order"),
        Entry(
            path: mdmi + "examples-200307/example1.xml",
            pipeline: oru, expected: .quarantined(rule: "xsd_pattern", element: "ORU_R01.PATIENT_RESULT/ORU_R01.PATIENT/PID/PID.7/TS.1"),
            root: "ORU_R01", version: "2.4", schema: "schemas/hl7v2/v2.4.xsd",
            load: nil,
            note: "the birth date has nine digits (not a DTM); the message would also lack an MR-typed PID-3"),
        Entry(
            path: mdmi + "examples-200307/example2.xml",
            pipeline: adt, expected: .loads(messages: 1),
            root: "ADT_A01", version: "2.4", schema: "schemas/hl7v2/v2.4.xsd",
            load: Load(
                naturalKey: .typedMR,
                identityColumns: ["mrn", "ssn", "family_name", "given_name", "birth_date", "sex",
                                  "street_address", "city", "state", "zip", "phone"],
                clinicalPatientColumns: clinical(from: ["birth_date", "sex", "state", "zip"], marital: true),
                encounters: 1, conditions: 1, observations: 2, hasEncounterKey: true, hasOrderKey: false),
            note: "ADT^A04 in structure ADT_A01; two NM observations (weight, height) and one ICD-10 diagnosis; NK1 x4, ROL, GT1, PV2 and ADT_A01.INSURANCE dropped"),

        // --- hapifhir/hapi-hl7v2 parser fixtures ---
        unsupported(hapi + "OMD_O03.xml", root: "OMD_O03", version: "2.5", schema: "schemas/hl7v2/v2.5.xsd",
                    "dietary order"),
        unsupported(hapi + "adt_a17.xml", root: "ADT_A17", version: "2.5", schema: "schemas/hl7v2/v2.5.xsd",
                    "swap patients; it also carries HL7's LongName attributes, which our schemas do not accept"),
        Entry(
            path: hapi + "critical_response_data.xml",
            pipeline: oru, expected: .quarantined(rule: "unsupported_version", element: "MSH/MSH.12"),
            root: "ORU_R01", version: "2.2", schema: "schemas/hl7v2/unsupported-version.xsd",
            load: nil,
            note: "version 2.2 is unsupported (a header-only message)"),
        Entry(
            path: hapi + "ed_issue.xml",
            pipeline: oru, expected: .quarantined(rule: "xsd_unexpected_element", element: "ORU_R01.PATIENT_RESULT/ORU_R01.PATIENT/PID/PID.5"),
            root: "ORU_R01", version: "2.5", schema: "schemas/hl7v2/v2.5.xsd",
            load: nil,
            note: "PID-3 (required) is missing: PID.5 follows PID.2"),
        unsupported(hapi + "extracmp_xml.xml", root: "ERP_R09", version: "2.3.1", schema: "schemas/hl7v2/v2.3.1.xsd",
                    "query response"),
        unsafe(hapi + "get_ack_id.xml", root: "RSP_K22", version: "2.4",
               "DOCTYPE with a remote DTD (and the file is truncated); no namespace"),
        unsafe(hapi + "get_version.xml", root: "QBP_Q22", version: "2.4",
               "DOCTYPE with a remote DTD; no namespace"),
        Entry(
            path: hapi + "parse_and_encode_with_ns.xml",
            pipeline: oru, expected: .quarantined(rule: "unsupported_version", element: "MSH/MSH.12"),
            root: "ORU_R01", version: "2.2", schema: "schemas/hl7v2/unsupported-version.xsd",
            load: nil,
            note: "the same message as critical_response_data.xml with a namespace prefix (ns0:): matched by namespace URI, same outcome"),
        unsupported(hapi + "weird_message.xml", root: "ConformanceMessage", version: "2.6", schema: "schemas/hl7v2/v2.6.xsd",
                    "not a message structure"),
        unsafe(hapi + "xml-with-xxe.xml", root: "ADT_A01", version: "2.5",
               "DOCTYPE declaring an external entity (file:///etc/passwd) used in MSH-10"),
    ]
}
