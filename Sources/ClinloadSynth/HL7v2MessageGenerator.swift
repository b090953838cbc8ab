import ClinloadCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Generates HL7 v2.5.1 messages in the v2.xml encoding (namespace
/// `urn:hl7-org:v2xml`) — ADT^A01 / A04 / A08 (structure ADT_A01) and ORU^R01 —
/// in one BATCH file, full of realistic but FAKE PHI, for tests, demos and
/// throughput benchmarks. Never real people.
///
/// Output is a pure function of the options: the same options give byte-identical
/// files on every run and platform (our own PRNG, integer-only formatting, no
/// locale, no clock). Messages stream through one reusable ~1 MiB buffer, so
/// memory stays flat for any size, whether given as a message count or as a
/// target file size.
///
/// Every valid message conforms to `schemas/hl7v2/v2.5.xsd` (the 2.5 / 2.5.1
/// family schema) and loads through `pipelines/hl7v2_adt.yaml` or
/// `hl7v2_oru.yaml`. With `invalidEvery`, every n-th message carries exactly one
/// defect the schema catches (see `InvalidKind`); injecting it consumes no
/// randomness, so every other message is identical to the clean output.
///
/// Patients: the identity and the hospital stay of patient *i* are drawn from a
/// generator seeded by (seed, i) alone, so an ADT file and an ORU file made with
/// the same seed describe the same patients with the same MRNs and visit numbers
/// (their encounter keys join). In `.adt` and `.oru` files message *k* is about
/// patient *k* (an ADT message is occasionally an A08 update of an earlier
/// patient instead); a `.mixed` file alternates ADT and ORU messages for patient
/// 1, 1, 2, 2, ...
public struct HL7v2MessageGenerator: Sendable {
    /// Which messages the file holds. The HL7 v2 pipelines each load one kind:
    /// an ORU message in a file offered to `hl7v2_adt` is an unsupported
    /// structure, so `.mixed` is for schema-only work (e.g. `xmllint --stream`).
    public enum MessageKinds: String, Sendable, CaseIterable {
        case adt
        case oru
        case mixed
    }

    /// How much to write.
    public enum Size: Sendable, Equatable {
        /// Exactly this many messages (zero or more).
        case messages(Int)
        /// Messages until the file is at least this many bytes (at least 1); it
        /// ends within one message (plus the batch trailer) past the target.
        case targetBytes(Int)
    }

    public struct Options: Sendable {
        public var size: Size
        public var seed: UInt64
        public var kinds: MessageKinds
        /// Every `invalidEvery`-th message (1-based ordinals divisible by it) is
        /// invalid in one way the XSD catches, cycling through `InvalidKind`; nil = none.
        public var invalidEvery: Int?

        public init(size: Size, seed: UInt64 = 42, kinds: MessageKinds = .adt, invalidEvery: Int? = nil) {
            self.size = size
            self.seed = seed
            self.kinds = kinds
            self.invalidEvery = invalidEvery
        }
    }

    /// What a write produced.
    public struct Summary: Sendable, Equatable {
        public var messages: Int
        public var adtMessages: Int
        public var oruMessages: Int
        public var invalidMessages: Int
        public var bytes: Int
    }

    /// The deliberate defects, in the order they cycle through, each with the
    /// first error `xmllint --schema schemas/hl7v2/v2.5.xsd` reports.
    public enum InvalidKind: Int, CaseIterable, Sendable {
        /// PID-7 written `1987-02-14` (ISO dashes): `[facet 'pattern']` on TS.1 → xsd_pattern.
        case malformedBirthDate
        /// PID-8 `X`, not in HL7 table 0001: `[facet 'enumeration']` on PID.8 → xsd_enumeration.
        case unknownSex
        /// PID-3 (the identifier list, required) left out: "PID.5 not expected" → xsd_unexpected_element.
        case missingPatientIdentifier
        /// MSH-10 of 30 characters (2.5 allows 20): `[facet 'maxLength']` on MSH.10 → xsd_length.
        case overlongControlId
        /// A Z-segment (`ZPI`) the schema does not declare, after PID: "ZPI not expected" → xsd_unexpected_element.
        case undeclaredSegment
    }

    /// The kind of one message.
    public enum MessageKind: Sendable, Equatable {
        case adt
        case oru
    }

    let options: Options

    public init(options: Options) {
        self.options = options
    }

    // MARK: public helpers (tests, documentation)

    /// Whether message `ordinal` (1-based) is invalid: ordinal % invalidEvery == 0.
    public func isInvalidMessage(_ ordinal: Int) -> Bool {
        guard let every = options.invalidEvery, every > 0, ordinal >= 1 else { return false }
        return ordinal % every == 0
    }

    /// The defect message `ordinal` carries, if any: the n-th invalid message
    /// (n from 0) gets `InvalidKind.allCases[n % 5]`.
    public func invalidKind(forMessage ordinal: Int) -> InvalidKind? {
        guard isInvalidMessage(ordinal), let every = options.invalidEvery else { return nil }
        let cases = InvalidKind.allCases
        return cases[(ordinal / every - 1) % cases.count]
    }

    /// Whether message `ordinal` (1-based) is an ADT or an ORU message.
    public func kind(ofMessage ordinal: Int) -> MessageKind {
        switch options.kinds {
        case .adt: return .adt
        case .oru: return .oru
        case .mixed: return ordinal % 2 == 1 ? .adt : .oru
        }
    }

    /// The patient (1-based) message `ordinal` is about, before A08 updates are
    /// drawn (an ADT message may instead update an earlier patient).
    func patientIndex(ofMessage ordinal: Int) -> Int {
        options.kinds == .mixed ? (ordinal + 1) / 2 : ordinal
    }

    // MARK: writing

    /// Writes the batch file to `path` (a `PrivateOutputFile`: mode 0600, devices
    /// left alone); returns what was written.
    @discardableResult public func write(to path: String) throws -> Summary {
        try validateOptions()
        return try PrivateOutputFile.write(to: path) { sink in try write(sink) }
    }

    /// Writes to any sink: calls `sink` with successive chunks of about 1 MiB, each
    /// ending on a message boundary and valid only during the call.
    @discardableResult
    public func write(_ sink: (UnsafeRawBufferPointer) throws -> Void) throws -> Summary {
        try validateOptions()
        let tables = SyntheaPatientGenerator.tables
        var out = HL7v2XMLWriter()
        var flushed = 0
        var summary = Summary(messages: 0, adtMessages: 0, oruMessages: 0, invalidMessages: 0, bytes: 0)

        out.raw("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<BATCH xmlns=\"urn:hl7-org:v2xml\">\n")
        out.raw("<FHS><FHS.1>|</FHS.1><FHS.2>^~\\&amp;</FHS.2><FHS.3><HD.1>CLINLOAD-SYNTH</HD.1></FHS.3></FHS>\n")
        out.raw("<MESSAGEBATCH>\n")
        out.raw("<BHS><BHS.1>|</BHS.1><BHS.2>^~\\&amp;</BHS.2><BHS.3><HD.1>CLINLOAD-SYNTH</HD.1></BHS.3></BHS>\n")

        var stream = SplitMix64(seed: options.seed)
        var ordinal = 1
        while !isComplete(messages: ordinal - 1, bytes: flushed + out.pendingCount) {
            let invalid = invalidKind(forMessage: ordinal)
            switch kind(ofMessage: ordinal) {
            case .adt:
                let message = ADTDraw(ordinal: ordinal, patient: patientIndex(ofMessage: ordinal), stream: &stream)
                let patient = PatientDraw(seed: options.seed, index: message.patient, tables)
                Self.writeADT(message, patient, invalid: invalid, tables, &out)
                summary.adtMessages += 1
            case .oru:
                let message = ORUDraw(ordinal: ordinal, patient: patientIndex(ofMessage: ordinal), stream: &stream)
                let patient = PatientDraw(seed: options.seed, index: message.patient, tables)
                Self.writeORU(message, patient, invalid: invalid, tables, &out)
                summary.oruMessages += 1
            }
            if invalid != nil { summary.invalidMessages += 1 }
            summary.messages += 1
            if out.needsFlush {
                flushed += out.pendingCount
                try out.flush(sink)
            }
            ordinal += 1
        }

        out.raw(Self.trailerHead)
        out.decimal(UInt64(summary.messages))
        out.raw(Self.trailerTail)
        flushed += out.pendingCount
        try out.flush(sink)
        summary.bytes = flushed
        return summary
    }

    /// The batch trailer: BTS with the message count, then the closing tags.
    static let trailerHead: StaticString = "<BTS><BTS.1>"
    static let trailerTail: StaticString = "</BTS.1></BTS>\n</MESSAGEBATCH>\n<FTS><FTS.1>1</FTS.1></FTS>\n</BATCH>\n"

    /// Bytes of the batch trailer after `messages` messages.
    static func trailerBytes(messages: Int) -> Int {
        var digits = 1
        var n = messages
        while n >= 10 {
            n /= 10
            digits += 1
        }
        return trailerHead.utf8CodeUnitCount + digits + trailerTail.utf8CodeUnitCount
    }

    /// Whether the file is complete after `messages` messages and `bytes` bytes
    /// (the trailer not yet written).
    private func isComplete(messages: Int, bytes: Int) -> Bool {
        switch options.size {
        case .messages(let count): return messages >= count
        case .targetBytes(let target): return bytes + Self.trailerBytes(messages: messages) >= target
        }
    }

    private func validateOptions() throws {
        switch options.size {
        case .messages(let count):
            guard count >= 0 else {
                throw ClinloadError(.usage, stage: .cli, "the message count must be zero or more")
            }
        case .targetBytes(let bytes):
            guard bytes >= 1 else {
                throw ClinloadError(.usage, stage: .cli, "the target size must be 1 byte or more")
            }
        }
        if let every = options.invalidEvery, every < 1 {
            throw ClinloadError(.usage, stage: .cli, "invalidEvery must be 1 or more")
        }
    }

}

// MARK: - Random draws

extension HL7v2MessageGenerator {
    /// First day of the admissions drawn (inclusive) and their span in days.
    static let firstAdmissionDay = CivilDate(year: 2024, month: 1, day: 1).daysSinceEpoch
    static let admissionDays = 731

    /// A bijection of 0..<modulus (for ids that must be unique per patient and look
    /// random): multiplication by a unit modulo `modulus`.
    @inline(__always)
    static func scramble(_ value: Int, multiplier: Int, modulus: Int) -> Int {
        Int((UInt64(value % modulus) &* UInt64(multiplier)) % UInt64(modulus))
    }

    /// Everything about patient `index` (1-based): identity and hospital stay,
    /// drawn from a generator seeded by (seed, index) only.
    struct PatientDraw {
        let index: Int
        let person: SyntheaPatientGenerator.Patient
        /// MRN: 8 digits, unique per index (below 90 million patients).
        let mrn: Int
        /// Visit number: 9 digits, unique per index.
        let visit: Int
        let areaCode: Int
        let phoneLine: Int
        let hasEmail: Bool
        let facility: Int
        /// "I" inpatient (A01), "E" emergency or "O" outpatient (A04).
        let patientClass: UInt8
        let admitMinutes: Int
        let admitSeconds: Int
        /// Discharge, for emergency and outpatient visits that ended the same day.
        let dischargeMinutes: Int?
        let unit: Int
        let room: Int
        let bed: Int
        let admissionType: Int
        let hospitalService: Int
        let admitSource: Int
        let attendingFirst: Int
        let attendingFemale: Bool
        let attendingLast: Int
        let attendingNPI: Int

        init(seed: UInt64, index: Int, _ t: SyntheaPatientGenerator.Tables) {
            self.index = index
            var rng = SplitMix64(seed: seed ^ (UInt64(truncatingIfNeeded: index) &* 0xD1B5_4A32_D192_ED03))
            _ = rng.next()  // decorrelate neighbouring seeds
            person = SyntheaPatientGenerator.Patient(drawingFrom: &rng, t)
            mrn = 10_000_000 + HL7v2MessageGenerator.scramble(index, multiplier: 48_271, modulus: 90_000_000)
            visit = 100_000_000 + HL7v2MessageGenerator.scramble(index, multiplier: 69_621, modulus: 900_000_000)
            areaCode = rng.below(HL7v2Catalog.areaCodes.count)
            phoneLine = rng.below(100)
            hasEmail = rng.chance(perMille: 400)
            facility = rng.below(HL7v2Catalog.facilities.count)
            let r = rng.below(1000)
            patientClass = r < 700 ? 0x49 : r < 900 ? 0x45 : 0x4F  // I, E, O
            // Admitted in 2024-2025, never before birth.
            let firstDay = max(HL7v2MessageGenerator.firstAdmissionDay, person.birth.daysSinceEpoch)
            let lastDay = HL7v2MessageGenerator.firstAdmissionDay + HL7v2MessageGenerator.admissionDays - 1
            admitMinutes = rng.int(in: firstDay...lastDay) * 1440 + rng.below(1440)
            admitSeconds = rng.below(60)
            if patientClass != 0x49, rng.chance(perMille: 700) {
                dischargeMinutes = admitMinutes + rng.int(in: 45...600)
            } else {
                dischargeMinutes = nil
            }
            unit = rng.below(HL7v2Catalog.units.count)
            room = rng.int(in: 100...699)
            bed = rng.below(2)
            admissionType = rng.below(HL7v2Catalog.admissionTypes.count)
            hospitalService = rng.below(HL7v2Catalog.hospitalServices.count)
            admitSource = rng.below(HL7v2Catalog.admitSources.count)
            attendingFemale = rng.chance(perMille: 500)
            attendingFirst = rng.below(attendingFemale ? t.femaleFirst.count : t.maleFirst.count)
            attendingLast = rng.below(t.family.count)
            attendingNPI = 1_000_000_000 + rng.below(999_999_999)
        }

        var isInpatient: Bool { patientClass == 0x49 }
    }

    /// The per-message draws of an ADT message, from the file's stream generator.
    struct ADTDraw {
        let ordinal: Int
        /// The patient the message is about (an earlier one for an A08 update).
        let patient: Int
        let isUpdate: Bool
        let minutesAfterAdmit: Int
        let nextOfKin: (relationship: Int, given: Int, female: Bool, digits: Int)?
        let vitals: [(test: Int, value: Int)]
        let allergen: Int?
        let diagnoses: [(diagnosis: Int, type: Int)]

        init(ordinal: Int, patient: Int, stream rng: inout SplitMix64) {
            self.ordinal = ordinal
            if patient > 1, rng.chance(perMille: 60) {
                isUpdate = true
                self.patient = 1 + rng.below(patient - 1)
            } else {
                isUpdate = false
                self.patient = patient
            }
            minutesAfterAdmit = isUpdate ? rng.int(in: 60...4320) : rng.int(in: 0...20)
            if rng.chance(perMille: 300) {
                // A mother is a woman and a father a man; anyone else either.
                let relationship = rng.below(HL7v2Catalog.relationships.count)
                let drawnFemale = rng.chance(perMille: 500)
                let female = HL7v2Catalog.relationships[relationship].female ?? drawnFemale
                nextOfKin = (relationship, rng.below(1000), female, rng.below(1000))
            } else {
                nextOfKin = nil
            }
            var vitals: [(test: Int, value: Int)] = []
            let vitalCount = rng.below(5)
            var start = rng.below(HL7v2Catalog.vitalSigns.count)
            var i = 0
            while i < vitalCount {
                let test = HL7v2Catalog.vitalSigns[start]
                vitals.append((start, rng.int(in: test.low...test.high)))
                start = (start + 1) % HL7v2Catalog.vitalSigns.count
                i += 1
            }
            self.vitals = vitals
            allergen = rng.chance(perMille: 150) ? rng.below(HL7v2Catalog.allergens.count) : nil
            var diagnoses: [(diagnosis: Int, type: Int)] = []
            let diagnosisCount = rng.below(4)
            i = 0
            while i < diagnosisCount {
                diagnoses.append((rng.below(HL7v2Catalog.diagnoses.count), i == 0 ? 0 : rng.below(HL7v2Catalog.diagnosisTypes.count)))
                i += 1
            }
            self.diagnoses = diagnoses
        }
    }

    /// The per-message draws of an ORU message.
    struct ORUDraw {
        struct Result {
            /// Scaled by 10^decimals of its test.
            var value: Int
            /// 0 normal, 1 low, 2 high.
            var flag: Int
        }

        struct Order {
            /// Index into `HL7v2Catalog.panels`, or nil for a coded test.
            var panel: Int?
            var codedTest: Int
            var codedPositive: Bool
            var results: [Result]
            var eGFR: Result?
            var collectedAfterAdmit: Int
            var resultedAfterCollection: Int
            var commentOn: Int?
            var comment: Int
        }

        let ordinal: Int
        let patient: Int
        let minutesAfterAdmit: Int
        let orders: [Order]

        init(ordinal: Int, patient: Int, stream rng: inout SplitMix64) {
            self.ordinal = ordinal
            self.patient = patient
            var orders: [Order] = []
            let orderCount = 1 + rng.below(2)
            var o = 0
            var latest = 0
            while o < orderCount {
                var order = Order(panel: nil, codedTest: 0, codedPositive: false, results: [], eGFR: nil,
                                  collectedAfterAdmit: rng.int(in: 20...2880), resultedAfterCollection: rng.int(in: 30...300),
                                  commentOn: nil, comment: 0)
                if rng.chance(perMille: 120) {
                    order.codedTest = rng.below(HL7v2Catalog.codedTests.count)
                    order.codedPositive = rng.chance(perMille: 100)
                } else {
                    let p = rng.below(HL7v2Catalog.panels.count)
                    order.panel = p
                    for test in HL7v2Catalog.panels[p].tests {
                        order.results.append(Self.result(test, &rng))
                    }
                    if HL7v2Catalog.panels[p].reportsEGFR {
                        // Normal creatinine: eGFR reported as ">60"; otherwise a number below 60.
                        let creatinine = order.results[2]
                        order.eGFR = creatinine.flag == 2 ? Result(value: rng.int(in: 15...59), flag: 1) : Result(value: 60, flag: 0)
                    }
                    if rng.chance(perMille: 50) {
                        order.commentOn = rng.below(order.results.count)
                        order.comment = rng.below(HL7v2Catalog.resultComments.count)
                    }
                }
                latest = max(latest, order.collectedAfterAdmit + order.resultedAfterCollection)
                orders.append(order)
                o += 1
            }
            self.orders = orders
            minutesAfterAdmit = latest + rng.int(in: 1...30)
        }

        /// A result: within the reference range 4 times in 5, else below or above it.
        static func result(_ test: HL7v2Catalog.NumericTest, _ rng: inout SplitMix64) -> Result {
            let r = rng.below(1000)
            if r < 800 { return Result(value: rng.int(in: test.low...test.high), flag: 0) }
            let span = max(1, test.high - test.low)
            if r < 880, test.low > 0 {
                let below = rng.int(in: 1...max(1, min(test.low, span / 2)))
                return Result(value: test.low - below, flag: 1)
            }
            return Result(value: test.high + rng.int(in: 1...max(1, span)), flag: 2)
        }
    }
}

// MARK: - Rendering

extension HL7v2MessageGenerator {
    private static func writeMSH(
        structure: MessageKind, trigger: StaticString, ordinal: Int, patient: PatientDraw, minutes: Int,
        invalid: InvalidKind?, _ out: inout HL7v2XMLWriter
    ) {
        out.open("MSH")
        out.element("MSH.1", "|")
        out.element("MSH.2", "^~\\&amp;")
        out.open("MSH.3")
        out.element("HD.1", structure == .adt ? "SYNTH-ADT" : "SYNTH-LAB")
        out.close("MSH.3")
        out.open("MSH.4")
        out.element("HD.1", HL7v2Catalog.facilities[patient.facility])
        out.close("MSH.4")
        out.raw("<MSH.5><HD.1>CLINLOAD</HD.1></MSH.5><MSH.6><HD.1>CLINLOAD</HD.1></MSH.6>")
        out.timestamp("MSH.7", minutes: minutes, seconds: patient.admitSeconds)
        out.open("MSH.9")
        if structure == .adt {
            out.element("MSG.1", "ADT")
            out.element("MSG.2", trigger)
            out.element("MSG.3", "ADT_A01")
        } else {
            out.raw("<MSG.1>ORU</MSG.1><MSG.2>R01</MSG.2><MSG.3>ORU_R01</MSG.3>")
        }
        out.close("MSH.9")
        // MSH-10: "ADT" / "ORU" and the 12-digit message ordinal (15 characters).
        out.open("MSH.10")
        out.raw(structure == .adt ? "ADT" : "ORU")
        out.decimal(UInt64(ordinal), minDigits: 12)
        if case .overlongControlId? = invalid { out.raw("-RESENT-0001") }  // 27 characters
        out.close("MSH.10")
        out.raw("<MSH.11><PT.1>P</PT.1></MSH.11><MSH.12><VID.1>2.5.1</VID.1></MSH.12>")
        out.close("MSH")
        out.newline()
    }

    private static func writePID(
        _ p: PatientDraw, invalid: InvalidKind?, _ t: SyntheaPatientGenerator.Tables, _ out: inout HL7v2XMLWriter
    ) {
        let person = p.person
        out.open("PID")
        out.element("PID.1", "1")
        // PID-3: the MRN (typed MR) and the SSN (typed SS).
        if case .missingPatientIdentifier? = invalid {
            // left out
        } else {
            out.open("PID.3")
            out.element("CX.1", decimal: UInt64(p.mrn))
            out.open("CX.4")
            out.element("HD.1", HL7v2Catalog.facilities[p.facility])
            out.close("CX.4")
            out.element("CX.5", "MR")
            out.close("PID.3")
            out.open("PID.3")
            out.open("CX.1")
            writeSSN(person, &out)
            out.close("CX.1")
            out.raw("<CX.4><HD.1>USSSA</HD.1></CX.4><CX.5>SS</CX.5>")
            out.close("PID.3")
        }
        // PID-5: the legal name (first), and a married woman's maiden name (typed M).
        out.open("PID.5")
        out.open("XPN.1")
        out.open("FN.1")
        out.text(t.family, person.last)
        out.decimal(UInt64(person.lastDigits))
        out.close("FN.1")
        out.close("XPN.1")
        out.open("XPN.2")
        out.text(person.isFemale ? t.femaleFirst : t.maleFirst, person.first)
        out.decimal(UInt64(person.firstDigits))
        out.close("XPN.2")
        if let suffix = person.suffix {
            out.open("XPN.4")
            out.text(FakeIdentityTables.suffixes[suffix])
            out.close("XPN.4")
        }
        if person.isAdult {
            switch (person.isFemale, person.marital) {
            case (false, _): out.element("XPN.5", "Mr.")
            case (true, .married?), (true, .widowed?): out.element("XPN.5", "Mrs.")
            case (true, _): out.element("XPN.5", "Ms.")
            }
        }
        out.element("XPN.7", "L")
        out.close("PID.5")
        if let maiden = person.maiden {
            out.open("PID.5")
            out.open("XPN.1")
            out.open("FN.1")
            out.text(t.family, maiden)
            out.decimal(UInt64(person.maidenDigits))
            out.close("FN.1")
            out.close("XPN.1")
            out.open("XPN.2")
            out.text(t.femaleFirst, person.first)
            out.decimal(UInt64(person.firstDigits))
            out.close("XPN.2")
            out.element("XPN.7", "M")
            out.close("PID.5")
        }
        // PID-7 birth date, PID-8 sex.
        out.open("PID.7")
        out.open("TS.1")
        if case .malformedBirthDate? = invalid {
            out.append(isoDate: person.birth)
        } else {
            out.date(person.birth)
        }
        out.close("TS.1")
        out.close("PID.7")
        if case .unknownSex? = invalid {
            out.element("PID.8", "X")
        } else {
            out.element("PID.8", person.isFemale ? "F" : "M")
        }
        // PID-10 race (CDC race codes).
        let race = HL7v2Catalog.races[person.race]
        out.codedElement("PID.10", code: race.code, text: race.text, system: "CDCREC")
        // PID-11 home address.
        out.open("PID.11")
        out.open("XAD.1")
        out.open("SAD.1")
        out.decimal(UInt64(person.houseNumber))
        out.byte(0x20)
        out.text(t.streets, person.street)
        out.byte(0x20)
        out.text(t.streetSuffixes, person.streetSuffix)
        out.close("SAD.1")
        out.close("XAD.1")
        if let unit = person.unit {
            out.open("XAD.2")
            switch unit {
            case .unit: out.raw("Unit ")
            case .apartment: out.raw("Apt ")
            case .suite: out.raw("Suite ")
            }
            out.decimal(UInt64(person.unitNumber))
            out.close("XAD.2")
        }
        out.element("XAD.3", t.townNames, person.town)
        out.element("XAD.4", "MA")
        if person.hasZip { out.element("XAD.5", t.townZips, person.town) }
        out.element("XAD.6", "USA")
        out.element("XAD.7", "H")
        if person.hasCounty { out.element("XAD.9", HL7v2Catalog.countyFIPS[t.townCounty[person.town]]) }
        out.close("PID.11")
        // PID-13 home phone (fictional 555-01xx numbers), and an e-mail address for some.
        out.open("PID.13")
        out.open("XTN.1")
        out.byte(0x28)  // "("
        out.decimal(HL7v2Catalog.areaCodes[p.areaCode])
        out.raw(")555-01")
        out.decimal(UInt64(p.phoneLine), minDigits: 2)
        out.close("XTN.1")
        out.raw("<XTN.2>PRN</XTN.2><XTN.3>PH</XTN.3>")
        out.close("PID.13")
        if p.hasEmail {
            out.open("PID.13")
            out.raw("<XTN.2>NET</XTN.2><XTN.3>Internet</XTN.3><XTN.4>patient")
            out.decimal(UInt64(p.mrn))
            out.raw("@example.org</XTN.4>")
            out.close("PID.13")
        }
        // PID-16 marital status (HL7 table 0002).
        if let marital = person.marital {
            out.open("PID.16")
            out.open("CE.1")
            out.byte(marital.rawValue)
            out.close("CE.1")
            out.element("CE.3", "HL70002")
            out.close("PID.16")
        }
        // PID-19 SSN, PID-20 driver's licence.
        out.open("PID.19")
        writeSSN(person, &out)
        out.close("PID.19")
        if let drivers = person.drivers {
            out.open("PID.20")
            out.open("DLN.1")
            out.raw("S999")
            out.decimal(UInt64(drivers), minDigits: 5)
            out.close("DLN.1")
            out.element("DLN.2", "MA")
            out.close("PID.20")
        }
        // PID-22 ethnic group.
        let ethnicity = person.isHispanic ? HL7v2Catalog.hispanic : HL7v2Catalog.notHispanic
        out.codedElement("PID.22", code: ethnicity.code, text: ethnicity.text, system: "CDCREC")
        out.close("PID")
        out.newline()
        if case .undeclaredSegment? = invalid {
            out.raw("<ZPI><ZPI.1>1</ZPI.1><ZPI.2>SYNTHETIC</ZPI.2></ZPI>")
            out.newline()
        }
    }

    @inline(__always)
    private static func writeSSN(_ person: SyntheaPatientGenerator.Patient, _ out: inout HL7v2XMLWriter) {
        out.raw("999-")
        out.decimal(UInt64(person.ssnGroup), minDigits: 2)
        out.byte(0x2D)
        out.decimal(UInt64(person.ssnSerial), minDigits: 4)
    }

    private static func writePV1(_ p: PatientDraw, full: Bool, _ t: SyntheaPatientGenerator.Tables, _ out: inout HL7v2XMLWriter) {
        out.open("PV1")
        out.element("PV1.1", "1")
        out.open("PV1.2")
        out.byte(p.patientClass)
        out.close("PV1.2")
        if full {
            out.open("PV1.3")
            if p.isInpatient {
                out.element("PL.1", HL7v2Catalog.units[p.unit])
                out.element("PL.2", decimal: UInt64(p.room))
                out.element("PL.3", p.bed == 0 ? "A" : "B")
            } else {
                out.element("PL.1", p.patientClass == 0x45 ? "ED" : "CLINIC")
            }
            out.open("PL.4")
            out.element("HD.1", HL7v2Catalog.facilities[p.facility])
            out.close("PL.4")
            out.close("PV1.3")
            out.element("PV1.4", p.patientClass == 0x45 ? "E" : HL7v2Catalog.admissionTypes[p.admissionType])
            // PV1-7 attending doctor: another person (the pipelines drop it).
            out.open("PV1.7")
            out.element("XCN.1", decimal: UInt64(p.attendingNPI))
            out.open("XCN.2")
            out.element("FN.1", t.family, p.attendingLast)
            out.close("XCN.2")
            out.element("XCN.3", p.attendingFemale ? t.femaleFirst : t.maleFirst, p.attendingFirst)
            out.raw("<XCN.7>MD</XCN.7><XCN.9><HD.1>NPI</HD.1></XCN.9>")
            out.close("PV1.7")
            out.element("PV1.10", HL7v2Catalog.hospitalServices[p.hospitalService])
            out.element("PV1.14", p.patientClass == 0x45 ? "7" : HL7v2Catalog.admitSources[p.admitSource])
        }
        out.open("PV1.19")
        out.open("CX.1")
        out.byte(0x56)  // "V"
        out.decimal(UInt64(p.visit))
        out.close("CX.1")
        out.element("CX.5", "VN")
        out.close("PV1.19")
        if full {
            out.timestamp("PV1.44", minutes: p.admitMinutes, seconds: p.admitSeconds)
            if let discharge = p.dischargeMinutes { out.timestamp("PV1.45", minutes: discharge) }
        }
        out.close("PV1")
        out.newline()
    }

    static func writeADT(
        _ m: ADTDraw, _ p: PatientDraw, invalid: InvalidKind?,
        _ t: SyntheaPatientGenerator.Tables, _ out: inout HL7v2XMLWriter
    ) {
        let trigger: StaticString = m.isUpdate ? "A08" : p.isInpatient ? "A01" : "A04"
        let messageMinutes = p.admitMinutes + m.minutesAfterAdmit
        out.raw("<ADT_A01>")
        out.newline()
        writeMSH(structure: .adt, trigger: trigger, ordinal: m.ordinal, patient: p, minutes: messageMinutes, invalid: invalid, &out)
        out.open("EVN")
        out.element("EVN.1", trigger)
        out.timestamp("EVN.2", minutes: messageMinutes)
        out.close("EVN")
        out.newline()
        writePID(p, invalid: invalid, t, &out)
        if let kin = m.nextOfKin {
            // Next of kin: another person (the pipelines drop NK1).
            // A child's next of kin is a parent (index 1 mother, 2 father).
            let relationship = HL7v2Catalog.relationships[p.person.isAdult ? kin.relationship : kin.female ? 1 : 2]
            let firstNames = kin.female ? t.femaleFirst : t.maleFirst
            out.open("NK1")
            out.element("NK1.1", "1")
            out.open("NK1.2")
            out.open("XPN.1")
            out.open("FN.1")
            out.text(t.family, p.person.last)
            out.decimal(UInt64(p.person.lastDigits))
            out.close("FN.1")
            out.close("XPN.1")
            out.open("XPN.2")
            out.text(firstNames, kin.given % firstNames.count)
            out.decimal(UInt64(kin.digits))
            out.close("XPN.2")
            out.close("NK1.2")
            out.open("NK1.3")
            out.element("CE.1", relationship.code)
            out.element("CE.2", relationship.text)
            out.element("CE.3", "HL70063")
            out.close("NK1.3")
            out.close("NK1")
            out.newline()
        }
        writePV1(p, full: true, t, &out)
        var setId: UInt64 = 1
        for vital in m.vitals {
            let test = HL7v2Catalog.vitalSigns[vital.test]
            out.open("OBX")
            out.element("OBX.1", decimal: setId)
            out.element("OBX.2", "NM")
            out.codedElement("OBX.3", code: test.loinc, text: test.name, system: "LN")
            out.open("OBX.5")
            out.fixedPoint(UInt64(vital.value), fractionDigits: test.decimals)
            out.close("OBX.5")
            out.codedElement("OBX.6", code: test.unit, text: test.unit, system: "UCUM")
            out.element("OBX.11", "F")
            out.timestamp("OBX.14", minutes: p.admitMinutes + 5)
            out.close("OBX")
            out.newline()
            setId += 1
        }
        if let allergen = m.allergen {
            let a = HL7v2Catalog.allergens[allergen]
            out.raw("<AL1><AL1.1>1</AL1.1><AL1.2><CE.1>DA</CE.1><CE.2>Drug allergy</CE.2><CE.3>HL70127</CE.3></AL1.2>")
            out.codedElement("AL1.3", code: a.code, text: a.text, system: "RXNORM")
            out.close("AL1")
            out.newline()
        }
        setId = 1
        for d in m.diagnoses {
            let diagnosis = HL7v2Catalog.diagnoses[d.diagnosis]
            out.open("DG1")
            out.element("DG1.1", decimal: setId)
            out.codedElement("DG1.3", code: diagnosis.icd10, text: diagnosis.description, system: "I10")
            out.timestamp("DG1.5", minutes: p.admitMinutes + 10)
            out.element("DG1.6", HL7v2Catalog.diagnosisTypes[d.type])
            out.close("DG1")
            out.newline()
            setId += 1
        }
        out.raw("</ADT_A01>")
        out.newline()
    }

    static func writeORU(
        _ m: ORUDraw, _ p: PatientDraw, invalid: InvalidKind?,
        _ t: SyntheaPatientGenerator.Tables, _ out: inout HL7v2XMLWriter
    ) {
        out.raw("<ORU_R01>")
        out.newline()
        writeMSH(structure: .oru, trigger: "R01", ordinal: m.ordinal, patient: p,
                 minutes: p.admitMinutes + m.minutesAfterAdmit, invalid: invalid, &out)
        out.raw("<ORU_R01.PATIENT_RESULT>")
        out.newline()
        out.raw("<ORU_R01.PATIENT>")
        out.newline()
        writePID(p, invalid: invalid, t, &out)
        out.raw("<ORU_R01.VISIT>")
        writePV1(p, full: false, t, &out)
        out.raw("</ORU_R01.VISIT>")
        out.newline()
        out.raw("</ORU_R01.PATIENT>")
        out.newline()
        var orderNumber = 0
        for order in m.orders {
            orderNumber += 1
            let collected = p.admitMinutes + order.collectedAfterAdmit
            let resulted = collected + order.resultedAfterCollection
            out.raw("<ORU_R01.ORDER_OBSERVATION>")
            out.newline()
            // ORC and OBR: placer order number (from the EHR) and filler order
            // number (the lab's accession number), both unique per message and order.
            out.raw("<ORC><ORC.1>RE</ORC.1>")
            writeOrderNumbers(ordinal: m.ordinal, order: orderNumber, placer: "ORC.2", filler: "ORC.3", &out)
            out.raw("</ORC>")
            out.newline()
            out.open("OBR")
            out.element("OBR.1", decimal: UInt64(orderNumber))
            writeOrderNumbers(ordinal: m.ordinal, order: orderNumber, placer: "OBR.2", filler: "OBR.3", &out)
            let section: StaticString
            if let panelIndex = order.panel {
                let panel = HL7v2Catalog.panels[panelIndex]
                out.codedElement("OBR.4", code: panel.loinc, text: panel.name, system: "LN")
                section = panel.section
            } else {
                let test = HL7v2Catalog.codedTests[order.codedTest]
                out.codedElement("OBR.4", code: test.loinc, text: test.name, system: "LN")
                section = "MB"
            }
            out.timestamp("OBR.7", minutes: collected)
            // OBR-16 ordering provider: another person (the pipelines drop it).
            out.open("OBR.16")
            out.element("XCN.1", decimal: UInt64(p.attendingNPI))
            out.open("XCN.2")
            out.element("FN.1", t.family, p.attendingLast)
            out.close("XCN.2")
            out.element("XCN.3", p.attendingFemale ? t.femaleFirst : t.maleFirst, p.attendingFirst)
            out.close("OBR.16")
            out.timestamp("OBR.22", minutes: resulted)
            out.element("OBR.24", section)
            out.element("OBR.25", "F")
            out.close("OBR")
            out.newline()
            var setId = 1
            if let panelIndex = order.panel {
                let panel = HL7v2Catalog.panels[panelIndex]
                var r = 0
                while r < panel.tests.count {
                    writeNumericOBX(setId: setId, panel.tests[r], order.results[r], collected: collected,
                                    comment: order.commentOn == r ? order.comment : nil, &out)
                    setId += 1
                    r += 1
                }
                if let egfr = order.eGFR {
                    let test = HL7v2Catalog.eGFR
                    out.raw("<ORU_R01.OBSERVATION><OBX>")
                    out.element("OBX.1", decimal: UInt64(setId))
                    if egfr.flag == 0 {
                        // Structured numeric ">60": the comparator must travel with the number.
                        out.element("OBX.2", "SN")
                        out.codedElement("OBX.3", code: test.loinc, text: test.name, system: "LN")
                        out.raw("<OBX.5><SN.1>&gt;</SN.1><SN.2>60</SN.2></OBX.5>")
                    } else {
                        out.element("OBX.2", "NM")
                        out.codedElement("OBX.3", code: test.loinc, text: test.name, system: "LN")
                        out.element("OBX.5", decimal: UInt64(egfr.value))
                    }
                    out.codedElement("OBX.6", code: test.unit, text: test.unit, system: "UCUM")
                    out.element("OBX.7", "&gt;60")
                    out.element("OBX.8", egfr.flag == 0 ? "N" : "L")
                    out.element("OBX.11", "F")
                    out.timestamp("OBX.14", minutes: collected)
                    out.raw("</OBX></ORU_R01.OBSERVATION>")
                    out.newline()
                }
            } else {
                let test = HL7v2Catalog.codedTests[order.codedTest]
                let value = order.codedPositive ? HL7v2Catalog.positive : HL7v2Catalog.negative
                out.raw("<ORU_R01.OBSERVATION><OBX>")
                out.element("OBX.1", "1")
                out.element("OBX.2", "CWE")
                out.codedElement("OBX.3", code: test.loinc, text: test.name, system: "LN")
                out.open("OBX.5")
                out.element("CWE.1", value.code)
                out.element("CWE.2", value.text)
                out.element("CWE.3", "SCT")
                out.close("OBX.5")
                out.element("OBX.7", "Negative")
                out.element("OBX.8", order.codedPositive ? "A" : "N")
                out.element("OBX.11", "F")
                out.timestamp("OBX.14", minutes: collected)
                out.raw("</OBX></ORU_R01.OBSERVATION>")
                out.newline()
            }
            out.raw("</ORU_R01.ORDER_OBSERVATION>")
            out.newline()
        }
        out.raw("</ORU_R01.PATIENT_RESULT>")
        out.newline()
        out.raw("</ORU_R01>")
        out.newline()
    }

    @inline(__always)
    private static func writeOrderNumbers(
        ordinal: Int, order: Int, placer: StaticString, filler: StaticString, _ out: inout HL7v2XMLWriter
    ) {
        out.open(placer)
        out.raw("<EI.1>P")
        out.decimal(UInt64(ordinal * 4 + order), minDigits: 10)
        out.raw("</EI.1><EI.2>SYNTH-EHR</EI.2>")
        out.close(placer)
        out.open(filler)
        out.raw("<EI.1>A")
        out.decimal(UInt64(ordinal * 4 + order), minDigits: 10)
        out.raw("</EI.1><EI.2>SYNTH-LAB</EI.2>")
        out.close(filler)
    }

    private static func writeNumericOBX(
        setId: Int, _ test: HL7v2Catalog.NumericTest, _ result: ORUDraw.Result, collected: Int,
        comment: Int?, _ out: inout HL7v2XMLWriter
    ) {
        out.raw("<ORU_R01.OBSERVATION><OBX>")
        out.element("OBX.1", decimal: UInt64(setId))
        out.element("OBX.2", "NM")
        out.codedElement("OBX.3", code: test.loinc, text: test.name, system: "LN")
        out.open("OBX.5")
        out.fixedPoint(UInt64(result.value), fractionDigits: test.decimals)
        out.close("OBX.5")
        out.codedElement("OBX.6", code: test.unit, text: test.unit, system: "UCUM")
        out.element("OBX.7", test.range)
        switch result.flag {
        case 1: out.element("OBX.8", "L")
        case 2: out.element("OBX.8", "H")
        default: out.element("OBX.8", "N")
        }
        out.element("OBX.11", "F")
        out.timestamp("OBX.14", minutes: collected)
        out.raw("</OBX>")
        if let comment {
            out.raw("<NTE><NTE.1>1</NTE.1><NTE.3>")
            out.text(HL7v2Catalog.resultComments[comment])
            out.raw("</NTE.3></NTE>")
        }
        out.raw("</ORU_R01.OBSERVATION>")
        out.newline()
    }
}

extension HL7v2XMLWriter {
    /// `YYYY-MM-DD`: the ISO form HL7 does not accept (the malformed-birth-date defect).
    mutating func append(isoDate date: CivilDate) {
        decimal(UInt64(date.year), minDigits: 4)
        byte(0x2D)
        decimal(UInt64(date.month), minDigits: 2)
        byte(0x2D)
        decimal(UInt64(date.day), minDigits: 2)
    }
}
