import ClinloadCore

/// Generates a Synthea-shaped `encounters.csv` for the patients that
/// `SyntheaPatientGenerator` writes with the same seed: the event feed of a
/// nightly load (events outnumber patients several times over), for the
/// benchmark and for tests. Fake data only, as the patients are.
///
/// Patients are replayed from the patient generator's own random stream, so the
/// PATIENT column names exactly the `Id`s of `patients.csv` (same seed, and at
/// least as many patient rows), in the same order, each with its encounters
/// together as Synthea writes them. The encounters draw from a second stream,
/// so the patients are unchanged whatever the encounters. Output is a pure
/// function of the options and is streamed: memory stays flat.
///
/// Every row conforms to `schemas/csv/synthea_encounters.schema.json`; with
/// `unknownPatientEvery`, every Nth encounter names a patient that is in no
/// patients file (a random id), which the load quarantines.
public struct SyntheaEncounterGenerator: Sendable {
    public struct Options: Sendable {
        /// Patients to replay (the rows of the matching patients file).
        public var patients: Int
        /// Average encounters per patient: each gets 0...2×average, uniformly.
        public var perPatient: Int
        public var seed: UInt64
        public var unknownPatientEvery: Int?

        public init(patients: Int, perPatient: Int = 5, seed: UInt64 = 42, unknownPatientEvery: Int? = nil) {
            self.patients = patients
            self.perPatient = perPatient
            self.seed = seed
            self.unknownPatientEvery = unknownPatientEvery
        }
    }

    public struct Summary: Sendable, Equatable {
        public var encounters: Int
        public var unknownPatients: Int
        public var bytes: Int
    }

    let options: Options

    public init(options: Options) {
        self.options = options
    }

    public static let header: [String] = [
        "Id", "START", "STOP", "PATIENT", "ORGANIZATION", "PROVIDER", "PAYER", "ENCOUNTERCLASS", "CODE",
        "DESCRIPTION", "BASE_ENCOUNTER_COST", "TOTAL_CLAIM_COST", "PAYER_COVERAGE", "REASONCODE", "REASONDESCRIPTION",
    ]

    /// Writes header + rows to `path` (mode 0600); returns what it wrote.
    @discardableResult public func write(to path: String) throws -> Summary {
        try validateOptions()
        return try PrivateOutputFile.write(to: path) { sink in try write(sink) }
    }

    /// Writes to any sink, in chunks of about 1 MiB that end on a record boundary
    /// (valid only during the call).
    @discardableResult public func write(_ sink: (UnsafeRawBufferPointer) throws -> Void) throws -> Summary {
        try validateOptions()
        let tables = SyntheaPatientGenerator.tables
        var out = CSVLineWriter()
        for name in Self.header { out.field(name) }
        out.endRecord()

        var patients = SplitMix64(seed: options.seed)
        // A second stream (the seed's golden-ratio step away) for everything else.
        var rng = SplitMix64(seed: options.seed ^ 0x9E37_79B9_7F4A_7C15)
        let directory = Directory(drawingFrom: &rng)
        var summary = Summary(encounters: 0, unknownPatients: 0, bytes: 0)
        for _ in 0..<options.patients {
            let patient = SyntheaPatientGenerator.Patient(drawingFrom: &patients, tables)
            // Care from the later of birth and 2000-01-01 to death or the end of 2025
            // (none for those who died before 2000).
            let first = max(patient.birth.daysSinceEpoch, Self.firstCareDay)
            let last = patient.death?.daysSinceEpoch ?? Self.lastCareDay
            let count = rng.int(in: 0...(2 * options.perPatient))
            guard count > 0, last >= first else { continue }
            for _ in 0..<count {
                summary.encounters += 1
                var id = (high: patient.idHigh, low: patient.idLow)
                if let every = options.unknownPatientEvery, summary.encounters % every == 0 {
                    id = Self.randomId(&rng)
                    summary.unknownPatients += 1
                }
                Self.writeRow(patient: id, day: rng.int(in: first...last), directory, &rng, &out)
                if out.needsFlush {
                    summary.bytes += out.count
                    try out.flush(sink)
                }
            }
        }
        summary.bytes += out.count
        try out.flush(sink)
        return summary
    }

    private func validateOptions() throws {
        guard options.patients >= 0, options.perPatient >= 0 else {
            throw ClinloadError(.usage, stage: .cli, "the patient count and encounters per patient must be zero or more")
        }
        if let every = options.unknownPatientEvery, every < 1 {
            throw ClinloadError(.usage, stage: .cli, "unknownPatientEvery must be 1 or more")
        }
    }

    static let firstCareDay = CivilDate(year: 2000, month: 1, day: 1).daysSinceEpoch
    static let lastCareDay = CivilDate(year: 2025, month: 12, day: 31).daysSinceEpoch

    /// The organisations, providers and payers encounters point at: fixed pools,
    /// as in a real export where a few sites serve many patients.
    struct Directory {
        var organizations: [(high: UInt64, low: UInt64)] = []
        var providers: [(high: UInt64, low: UInt64)] = []
        var payers: [(high: UInt64, low: UInt64)] = []

        init(drawingFrom rng: inout SplitMix64) {
            for _ in 0..<64 { organizations.append(SyntheaEncounterGenerator.randomId(&rng)) }
            for _ in 0..<512 { providers.append(SyntheaEncounterGenerator.randomId(&rng)) }
            for _ in 0..<10 { payers.append(SyntheaEncounterGenerator.randomId(&rng)) }
        }
    }

    /// A version-4 UUID's 128 bits.
    static func randomId(_ rng: inout SplitMix64) -> (high: UInt64, low: UInt64) {
        ((rng.next() & ~0xF000) | 0x4000, (rng.next() & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000)
    }

    /// Encounter types as Synthea codes them (SNOMED CT), with their class.
    static let kinds: [(code: StaticString, description: StaticString, encounterClass: StaticString)] = [
        ("185349003", "Encounter for check up (procedure)", "wellness"),
        ("162673000", "General examination of patient (procedure)", "wellness"),
        ("410620009", "Well child visit (procedure)", "wellness"),
        ("185345009", "Encounter for symptom", "ambulatory"),
        ("390906007", "Follow-up encounter (procedure)", "ambulatory"),
        ("424441002", "Prenatal initial visit (regime/therapy)", "ambulatory"),
        ("185347001", "Encounter for problem (procedure)", "outpatient"),
        ("702927004", "Urgent care clinic (environment)", "urgentcare"),
        ("50849002", "Emergency room admission (procedure)", "emergency"),
        ("183452005", "Emergency hospital admission (procedure)", "inpatient"),
        ("448337001", "Telemedicine consultation with patient (procedure)", "virtual"),
    ]

    static let reasons: [(code: StaticString, description: StaticString)] = [
        ("195662009", "Acute viral pharyngitis (disorder)"),
        ("444814009", "Viral sinusitis (disorder)"),
        ("10509002", "Acute bronchitis (disorder)"),
        ("72892002", "Normal pregnancy (finding)"),
        ("59621000", "Essential hypertension (disorder)"),
        ("44054006", "Diabetes mellitus type 2 (disorder)"),
        ("55822004", "Hyperlipidemia (disorder)"),
        ("233678006", "Childhood asthma (disorder)"),
    ]

    private static func writeRow(
        patient: (high: UInt64, low: UInt64), day: Int, _ directory: Directory, _ rng: inout SplitMix64, _ out: inout CSVLineWriter
    ) {
        appendId(randomId(&rng), &out)

        // START, STOP: the same day, 15 minutes to 4 hours apart (ending by 23:59:59).
        let start = rng.int(in: 0...(86_399 - 900))
        let stop = min(86_399, start + 900 * rng.int(in: 1...16))
        let date = CivilDate(days: day)
        appendTimestamp(date, start, &out)
        appendTimestamp(date, stop, &out)

        appendId(patient, &out)
        appendId(directory.organizations[rng.below(directory.organizations.count)], &out)
        appendId(directory.providers[rng.below(directory.providers.count)], &out)
        appendId(directory.payers[rng.below(directory.payers.count)], &out)

        let kind = kinds[rng.below(kinds.count)]
        out.verbatimField(kind.encounterClass)
        out.verbatimField(kind.code)
        out.verbatimField(kind.description)

        // Costs in cents: base 50–200, total up to 40× base, coverage 0–100% of total.
        let base = UInt64(rng.int(in: 5_000...20_000))
        let total = base * UInt64(rng.int(in: 1...40)) + UInt64(rng.below(100))
        let coverage = rng.chance(perMille: 300) ? 0 : total * UInt64(rng.below(101)) / 100
        appendCents(base, &out)
        appendCents(total, &out)
        appendCents(coverage, &out)

        // A reason for about 40% of encounters.
        if rng.chance(perMille: 400) {
            let reason = reasons[rng.below(reasons.count)]
            out.verbatimField(reason.code)
            out.verbatimField(reason.description)
        } else {
            out.emptyField()
            out.emptyField()
        }
        out.endRecord()
    }

    private static func appendId(_ id: (high: UInt64, low: UInt64), _ out: inout CSVLineWriter) {
        out.beginField()
        out.append(uuidHigh: id.high, low: id.low)
        out.endVerbatimField()
    }

    private static func appendCents(_ cents: UInt64, _ out: inout CSVLineWriter) {
        out.beginField()
        out.append(fixedPoint: cents, fractionDigits: 2)
        out.endVerbatimField()
    }

    /// One `YYYY-MM-DDTHH:MM:SSZ` field.
    private static func appendTimestamp(_ date: CivilDate, _ seconds: Int, _ out: inout CSVLineWriter) {
        out.beginField()
        out.append(date: date)
        out.append(byte: 0x54)  // "T"
        out.append(decimal: UInt64(seconds / 3600), minDigits: 2)
        out.append(byte: 0x3A)  // ":"
        out.append(decimal: UInt64(seconds / 60 % 60), minDigits: 2)
        out.append(byte: 0x3A)
        out.append(decimal: UInt64(seconds % 60), minDigits: 2)
        out.append(byte: 0x5A)  // "Z"
        out.endVerbatimField()
    }
}
