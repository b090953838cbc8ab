/// The clinical vocabulary behind the synthetic HL7 v2 messages: real, public
/// code systems (LOINC, ICD-10-CM, UCUM, CDC race and ethnicity, HL7 tables,
/// Massachusetts county FIPS codes) paired with plausible values. Nothing here
/// describes a person.
///
/// Every string must be XML-safe as text content (no `&`, `<`, `>`): the
/// generator writes them without escaping, and tests check this invariant.
enum HL7v2Catalog {
    /// A numeric test: LOINC code and name, UCUM unit, the reference range
    /// (in units of 10^-decimals) and how many decimals results carry.
    struct NumericTest: Sendable {
        let loinc: StaticString
        let name: StaticString
        let unit: StaticString
        let low: Int
        let high: Int
        let decimals: Int
        /// The reference range as printed in OBX-7.
        let range: StaticString
    }

    /// A qualitative test whose result is a SNOMED CT coded value (OBX-2 CWE).
    struct CodedTest: Sendable {
        let loinc: StaticString
        let name: StaticString
    }

    /// An order (OBR-4) and the tests it reports.
    struct Panel: Sendable {
        let loinc: StaticString
        let name: StaticString
        /// OBR-24 diagnostic service section (HL7 table 0074).
        let section: StaticString
        let tests: [NumericTest]
        /// Panels that report eGFR as structured numeric (">60" when normal).
        let reportsEGFR: Bool
    }

    struct Diagnosis: Sendable {
        let icd10: StaticString
        let description: StaticString
    }

    struct Coded: Sendable {
        let code: StaticString
        let text: StaticString
    }

    static let basicMetabolicPanel = Panel(
        loinc: "51990-0", name: "Basic metabolic panel - Blood", section: "CH",
        tests: [
            NumericTest(loinc: "2345-7", name: "Glucose [Mass/volume] in Serum or Plasma", unit: "mg/dL", low: 70, high: 99, decimals: 0, range: "70-99"),
            NumericTest(loinc: "3094-0", name: "Urea nitrogen [Mass/volume] in Serum or Plasma", unit: "mg/dL", low: 7, high: 20, decimals: 0, range: "7-20"),
            NumericTest(loinc: "2160-0", name: "Creatinine [Mass/volume] in Serum or Plasma", unit: "mg/dL", low: 60, high: 130, decimals: 2, range: "0.60-1.30"),
            NumericTest(loinc: "2951-2", name: "Sodium [Moles/volume] in Serum or Plasma", unit: "mmol/L", low: 136, high: 145, decimals: 0, range: "136-145"),
            NumericTest(loinc: "2823-3", name: "Potassium [Moles/volume] in Serum or Plasma", unit: "mmol/L", low: 35, high: 51, decimals: 1, range: "3.5-5.1"),
            NumericTest(loinc: "2075-0", name: "Chloride [Moles/volume] in Serum or Plasma", unit: "mmol/L", low: 98, high: 107, decimals: 0, range: "98-107"),
            NumericTest(loinc: "2028-9", name: "Carbon dioxide, total [Moles/volume] in Serum or Plasma", unit: "mmol/L", low: 22, high: 29, decimals: 0, range: "22-29"),
            NumericTest(loinc: "17861-6", name: "Calcium [Mass/volume] in Serum or Plasma", unit: "mg/dL", low: 85, high: 105, decimals: 1, range: "8.5-10.5"),
        ],
        reportsEGFR: true)

    static let completeBloodCount = Panel(
        loinc: "58410-2", name: "CBC panel - Blood by Automated count", section: "HM",
        tests: [
            NumericTest(loinc: "6690-2", name: "Leukocytes [#/volume] in Blood by Automated count", unit: "10*3/uL", low: 45, high: 110, decimals: 1, range: "4.5-11.0"),
            NumericTest(loinc: "789-8", name: "Erythrocytes [#/volume] in Blood by Automated count", unit: "10*6/uL", low: 420, high: 590, decimals: 2, range: "4.20-5.90"),
            NumericTest(loinc: "718-7", name: "Hemoglobin [Mass/volume] in Blood", unit: "g/dL", low: 120, high: 175, decimals: 1, range: "12.0-17.5"),
            NumericTest(loinc: "4544-3", name: "Hematocrit [Volume Fraction] of Blood by Automated count", unit: "%", low: 360, high: 520, decimals: 1, range: "36.0-52.0"),
            NumericTest(loinc: "777-3", name: "Platelets [#/volume] in Blood by Automated count", unit: "10*3/uL", low: 150, high: 400, decimals: 0, range: "150-400"),
        ],
        reportsEGFR: false)

    static let lipidPanel = Panel(
        loinc: "57698-3", name: "Lipid panel with direct LDL - Serum or Plasma", section: "CH",
        tests: [
            NumericTest(loinc: "2093-3", name: "Cholesterol [Mass/volume] in Serum or Plasma", unit: "mg/dL", low: 125, high: 199, decimals: 0, range: "125-199"),
            NumericTest(loinc: "2571-8", name: "Triglyceride [Mass/volume] in Serum or Plasma", unit: "mg/dL", low: 40, high: 149, decimals: 0, range: "40-149"),
            NumericTest(loinc: "2085-9", name: "Cholesterol in HDL [Mass/volume] in Serum or Plasma", unit: "mg/dL", low: 40, high: 90, decimals: 0, range: "40-90"),
            NumericTest(loinc: "18262-6", name: "Cholesterol in LDL [Mass/volume] in Serum or Plasma by Direct assay", unit: "mg/dL", low: 30, high: 99, decimals: 0, range: "30-99"),
        ],
        reportsEGFR: false)

    static let hemoglobinA1c = Panel(
        loinc: "4548-4", name: "Hemoglobin A1c/Hemoglobin.total in Blood", section: "CH",
        tests: [
            NumericTest(loinc: "4548-4", name: "Hemoglobin A1c/Hemoglobin.total in Blood", unit: "%", low: 40, high: 56, decimals: 1, range: "4.0-5.6"),
        ],
        reportsEGFR: false)

    static let thyroidStimulatingHormone = Panel(
        loinc: "3016-3", name: "Thyrotropin [Units/volume] in Serum or Plasma", section: "CH",
        tests: [
            NumericTest(loinc: "3016-3", name: "Thyrotropin [Units/volume] in Serum or Plasma", unit: "m[IU]/L", low: 40, high: 400, decimals: 2, range: "0.40-4.00"),
        ],
        reportsEGFR: false)

    static let panels: [Panel] = [
        basicMetabolicPanel, completeBloodCount, lipidPanel, hemoglobinA1c, thyroidStimulatingHormone,
    ]

    /// eGFR (structured numeric: ">60" when normal, the number otherwise).
    static let eGFR = NumericTest(
        loinc: "33914-3", name: "Glomerular filtration rate/1.73 sq M.predicted [Volume Rate/Area] in Serum or Plasma by Creatinine-based formula (MDRD)",
        unit: "mL/min/{1.73_m2}", low: 60, high: 120, decimals: 0, range: "60")

    /// Qualitative tests, reported alone as a single-test order with a coded result.
    static let codedTests: [CodedTest] = [
        CodedTest(loinc: "5196-1", name: "Hepatitis B virus surface Ag [Presence] in Serum"),
        CodedTest(loinc: "2106-3", name: "Choriogonadotropin (pregnancy test) [Presence] in Urine"),
        CodedTest(loinc: "6463-4", name: "Bacteria identified in Specimen by Culture"),
        CodedTest(loinc: "94500-6", name: "SARS-CoV-2 (COVID-19) RNA [Presence] in Respiratory specimen by NAA with probe detection"),
    ]

    /// SNOMED CT qualifier values for coded results.
    static let negative = Coded(code: "260385009", text: "Negative (qualifier value)")
    static let positive = Coded(code: "10828004", text: "Positive (qualifier value)")

    /// Vital signs sent with an admission (OBX in ADT_A01).
    static let vitalSigns: [NumericTest] = [
        NumericTest(loinc: "29463-7", name: "Body weight", unit: "kg", low: 480, high: 1250, decimals: 1, range: ""),
        NumericTest(loinc: "8302-2", name: "Body height", unit: "cm", low: 150, high: 195, decimals: 0, range: ""),
        NumericTest(loinc: "8867-4", name: "Heart rate", unit: "/min", low: 55, high: 105, decimals: 0, range: "60-100"),
        NumericTest(loinc: "8480-6", name: "Systolic blood pressure", unit: "mm[Hg]", low: 100, high: 165, decimals: 0, range: "90-120"),
        NumericTest(loinc: "8462-4", name: "Diastolic blood pressure", unit: "mm[Hg]", low: 60, high: 98, decimals: 0, range: "60-80"),
        NumericTest(loinc: "8310-5", name: "Body temperature", unit: "Cel", low: 361, high: 385, decimals: 1, range: "36.1-37.2"),
        NumericTest(loinc: "59408-5", name: "Oxygen saturation in Arterial blood by Pulse oximetry", unit: "%", low: 90, high: 100, decimals: 0, range: "95-100"),
    ]

    /// ICD-10-CM diagnoses common at admission.
    static let diagnoses: [Diagnosis] = [
        Diagnosis(icd10: "I10", description: "Essential (primary) hypertension"),
        Diagnosis(icd10: "E11.9", description: "Type 2 diabetes mellitus without complications"),
        Diagnosis(icd10: "J18.9", description: "Pneumonia, unspecified organism"),
        Diagnosis(icd10: "I50.9", description: "Heart failure, unspecified"),
        Diagnosis(icd10: "N39.0", description: "Urinary tract infection, site not specified"),
        Diagnosis(icd10: "J44.1", description: "Chronic obstructive pulmonary disease with (acute) exacerbation"),
        Diagnosis(icd10: "R07.9", description: "Chest pain, unspecified"),
        Diagnosis(icd10: "K35.80", description: "Unspecified acute appendicitis"),
        Diagnosis(icd10: "A41.9", description: "Sepsis, unspecified organism"),
        Diagnosis(icd10: "S72.001A", description: "Fracture of unspecified part of neck of right femur, initial encounter for closed fracture"),
        Diagnosis(icd10: "I21.4", description: "Non-ST elevation (NSTEMI) myocardial infarction"),
        Diagnosis(icd10: "E87.1", description: "Hypo-osmolality and hyponatremia"),
        Diagnosis(icd10: "N17.9", description: "Acute kidney failure, unspecified"),
        Diagnosis(icd10: "F32.9", description: "Major depressive disorder, single episode, unspecified"),
        Diagnosis(icd10: "M54.50", description: "Low back pain, unspecified"),
        Diagnosis(icd10: "I48.91", description: "Unspecified atrial fibrillation"),
        Diagnosis(icd10: "K92.2", description: "Gastrointestinal hemorrhage, unspecified"),
        Diagnosis(icd10: "R55", description: "Syncope and collapse"),
        Diagnosis(icd10: "O80", description: "Encounter for full-term uncomplicated delivery"),
        Diagnosis(icd10: "U07.1", description: "COVID-19"),
    ]

    /// DG1-6 diagnosis type (HL7 table 0052): admitting, working, final.
    static let diagnosisTypes: [StaticString] = ["A", "W", "F"]

    /// CDC race codes (CDCREC), in the order of Synthea's races
    /// (white, black, asian, native, hawaiian, other).
    static let races: [Coded] = [
        Coded(code: "2106-3", text: "White"),
        Coded(code: "2054-5", text: "Black or African American"),
        Coded(code: "2028-9", text: "Asian"),
        Coded(code: "1002-5", text: "American Indian or Alaska Native"),
        Coded(code: "2076-8", text: "Native Hawaiian or Other Pacific Islander"),
        Coded(code: "2131-1", text: "Other Race"),
    ]
    static let hispanic = Coded(code: "2135-2", text: "Hispanic or Latino")
    static let notHispanic = Coded(code: "2186-5", text: "Not Hispanic or Latino")

    /// FIPS county codes of the 14 Massachusetts counties, in the order of
    /// `FakeIdentityTables.counties`.
    static let countyFIPS: [StaticString] = [
        "25001", "25003", "25005", "25007", "25009", "25011", "25013",
        "25015", "25017", "25019", "25021", "25023", "25025", "25027",
    ]

    /// Massachusetts telephone area codes; numbers use the fictional 555-01xx range.
    static let areaCodes: [UInt64] = [617, 781, 508, 413, 978, 339, 351, 774, 857]

    /// Sending facilities (fictional): code, and the unit names of their wards.
    static let facilities: [StaticString] = ["SYNGEN", "SYNMEM", "SYNCOM"]
    static let units: [StaticString] = ["4N", "4S", "5E", "6W", "ICU", "CCU", "MED1", "SURG2", "OBS"]

    /// PV1-10 hospital service (HL7 table 0069), PV1-4 admission type (0007),
    /// PV1-14 admit source (0023).
    static let hospitalServices: [StaticString] = ["MED", "SUR", "CAR", "PUL", "URO", "OBS", "ORT", "NEU"]
    static let admissionTypes: [StaticString] = ["E", "U", "R", "C"]
    static let admitSources: [StaticString] = ["1", "2", "4", "7"]

    /// NK1-3 relationship (HL7 table 0063), and the relative's sex where the
    /// relationship implies it.
    struct Relationship: Sendable {
        let code: StaticString
        let text: StaticString
        let female: Bool?
    }

    static let relationships: [Relationship] = [
        Relationship(code: "SPO", text: "Spouse", female: nil),
        Relationship(code: "MTH", text: "Mother", female: true),
        Relationship(code: "FTH", text: "Father", female: false),
        Relationship(code: "CHD", text: "Child", female: nil),
        Relationship(code: "SIB", text: "Sibling", female: nil),
        Relationship(code: "FND", text: "Friend", female: nil),
    ]

    /// AL1-3 allergens (RxNorm ingredients) sent with some admissions.
    static let allergens: [Coded] = [
        Coded(code: "7980", text: "Penicillin G"),
        Coded(code: "2670", text: "Codeine"),
        Coded(code: "10831", text: "Sulfamethoxazole"),
        Coded(code: "1191", text: "Aspirin"),
    ]

    /// NTE-3 comments attached to some results.
    static let resultComments: [StaticString] = [
        "Specimen slightly hemolyzed.",
        "Result verified by repeat analysis.",
        "Fasting status not documented.",
    ]
}
