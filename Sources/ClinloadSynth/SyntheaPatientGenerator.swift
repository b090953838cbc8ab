import ClinloadCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Generates a Synthea-shaped `patients.csv` full of realistic but FAKE PHI, for
/// tests, demos and load testing — never real people.
///
/// Output is a pure function of `(rows, seed, invalidEvery)`: the same options give
/// byte-identical files on every run and platform (our own PRNG, integer-only
/// formatting, no locale, no clock), so a failing test or a benchmark can be
/// reproduced from its options alone. Rows are streamed through a reusable ~1 MiB
/// buffer, so memory stays flat for any row count.
///
/// Every valid row conforms to `schemas/csv/synthea_patients.schema.json`. With
/// `invalidEvery`, selected rows carry exactly one deliberately invalid value each,
/// so validators and quarantine paths can be exercised with known expectations.
/// Injecting an invalid value consumes no extra randomness: every other row (and every
/// other field of the invalid row) is identical to the output without injection.
public struct SyntheaPatientGenerator: Sendable {
    public struct Options: Sendable {
        /// Data rows to write (the header is extra). Must be zero or more.
        public var rows: Int
        public var seed: UInt64
        /// Every `invalidEvery`-th data row (1-based ordinals divisible by it) gets one deliberately invalid value
        /// (cycling through: impossible date "2019-02-30" in BIRTHDATE, SSN "999-1X-0000", GENDER "X", empty FIRST (required), LAT "91.5" (out of range)); nil = none.
        public var invalidEvery: Int?

        public init(rows: Int, seed: UInt64 = 42, invalidEvery: Int? = nil) {
            self.rows = rows
            self.seed = seed
            self.invalidEvery = invalidEvery
        }
    }

    let options: Options

    public init(options: Options) {
        self.options = options
    }

    /// The 25 Synthea columns in order.
    public static let header: [String] = [
        "Id", "BIRTHDATE", "DEATHDATE", "SSN", "DRIVERS", "PASSPORT", "PREFIX", "FIRST",
        "LAST", "SUFFIX", "MAIDEN", "MARITAL", "RACE", "ETHNICITY", "GENDER",
        "BIRTHPLACE", "ADDRESS", "CITY", "STATE", "COUNTY", "ZIP", "LAT", "LON",
        "HEALTHCARE_EXPENSES", "HEALTHCARE_COVERAGE",
    ]

    /// Writes header + rows to `path` (a `PrivateOutputFile`: mode 0600, devices
    /// left alone); returns bytes written.
    @discardableResult public func write(to path: String) throws -> Int {
        try validateOptions()
        return try PrivateOutputFile.write(to: path) { sink in
            var total = 0
            try write { chunk in
                try sink(chunk)
                total += chunk.count
            }
            return total
        }
    }

    /// Writes to any sink (used by tests): calls `sink` with successive chunks of bytes.
    ///
    /// Chunks are about 1 MiB, always end on a record boundary, and are only valid
    /// during the call (the buffer is reused for the next chunk).
    public func write(_ sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        try validateOptions()
        let tables = Self.tables
        var out = CSVLineWriter()
        for name in Self.header { out.field(name) }
        out.endRecord()

        var rng = SplitMix64(seed: options.seed)
        var ordinal = 1
        while ordinal <= options.rows {
            let patient = Patient(drawingFrom: &rng, tables)
            Self.writeRow(patient, invalid: invalidKind(forRow: ordinal), tables, &out)
            if out.needsFlush { try out.flush(sink) }
            ordinal += 1
        }
        try out.flush(sink)
    }

    /// Which 1-based row ordinals are invalid (for tests): ordinal % invalidEvery == 0.
    public func isInvalidRow(_ ordinal: Int) -> Bool {
        guard let every = options.invalidEvery, every > 0, ordinal >= 1 else { return false }
        return ordinal % every == 0
    }

    // MARK: invalid values

    /// The deliberately invalid values, in the order they cycle through.
    enum InvalidKind: Int, CaseIterable, Sendable {
        /// BIRTHDATE "2019-02-30": well formed, but not a calendar date.
        case impossibleBirthdate
        /// SSN "999-1X-0000": breaks the `\d{3}-\d{2}-\d{4}` pattern.
        case malformedSSN
        /// GENDER "X": outside the enum {M, F}.
        case unknownGender
        /// FIRST "": a required field left empty.
        case emptyFirst
        /// LAT "91.5": above the maximum of 90.
        case latitudeOutOfRange
    }

    /// The invalid value row `ordinal` carries, if any: the n-th invalid row (n from 0)
    /// gets `InvalidKind.allCases[n % 5]`, so with `invalidEvery: 10` row 10 has the
    /// impossible birth date, row 20 the bad SSN, …, row 60 the birth date again.
    func invalidKind(forRow ordinal: Int) -> InvalidKind? {
        guard isInvalidRow(ordinal), let every = options.invalidEvery else { return nil }
        let cases = InvalidKind.allCases
        return cases[(ordinal / every - 1) % cases.count]
    }

    private func validateOptions() throws {
        guard options.rows >= 0 else {
            throw ClinloadError(.usage, stage: .cli, "the row count must be zero or more")
        }
        if let every = options.invalidEvery, every < 1 {
            throw ClinloadError(.usage, stage: .cli, "invalidEvery must be 1 or more")
        }
    }

    // MARK: output

    private static func writeRow(
        _ p: Patient, invalid: InvalidKind?, _ t: Tables, _ out: inout CSVLineWriter
    ) {
        // Id: a random (version 4, RFC 4122 variant) UUID, lowercase, as Synthea writes.
        out.beginField()
        out.append(uuidHigh: p.idHigh, low: p.idLow)
        out.endVerbatimField()

        // BIRTHDATE
        if case .impossibleBirthdate? = invalid {
            out.verbatimField("2019-02-30")
        } else {
            out.beginField()
            out.append(date: p.birth)
            out.endVerbatimField()
        }

        // DEATHDATE
        out.beginField()
        if let death = p.death { out.append(date: death) }
        out.endVerbatimField()

        // SSN: 999-NN-NNNN (the 999 area is never issued, which is why Synthea uses it)
        if case .malformedSSN? = invalid {
            out.verbatimField("999-1X-0000")
        } else {
            out.beginField()
            out.append("999-")
            out.append(decimal: UInt64(p.ssnGroup), minDigits: 2)
            out.append(byte: UInt8(ascii: "-"))
            out.append(decimal: UInt64(p.ssnSerial), minDigits: 4)
            out.endVerbatimField()
        }

        // DRIVERS: S999NNNNN
        out.beginField()
        if let drivers = p.drivers {
            out.append("S999")
            out.append(decimal: UInt64(drivers), minDigits: 5)
        }
        out.endVerbatimField()

        // PASSPORT: XNNNNNNNNX
        out.beginField()
        if let passport = p.passport {
            out.append(byte: UInt8(ascii: "X"))
            out.append(decimal: UInt64(passport), minDigits: 8)
            out.append(byte: UInt8(ascii: "X"))
        }
        out.endVerbatimField()

        // PREFIX
        out.beginField()
        if p.isAdult {
            switch (p.isFemale, p.marital) {
            case (false, _): out.append("Mr.")
            case (true, .married?), (true, .widowed?): out.append("Mrs.")
            case (true, _): out.append("Ms.")
            }
        }
        out.endVerbatimField()

        // FIRST, LAST: Synthea appends digits to names so that they are obviously fake.
        out.beginField()
        if case .emptyFirst? = invalid {
            // left empty
        } else {
            out.append(p.isFemale ? t.femaleFirst : t.maleFirst, p.first)
            out.append(decimal: UInt64(p.firstDigits))
        }
        out.endField()

        out.beginField()
        out.append(t.family, p.last)
        out.append(decimal: UInt64(p.lastDigits))
        out.endField()

        // SUFFIX
        out.beginField()
        if let suffix = p.suffix { out.append(FakeIdentityTables.suffixes[suffix]) }
        out.endVerbatimField()

        // MAIDEN
        out.beginField()
        if let maiden = p.maiden {
            out.append(t.family, maiden)
            out.append(decimal: UInt64(p.maidenDigits))
        }
        out.endField()

        // MARITAL
        out.beginField()
        if let marital = p.marital { out.append(byte: marital.rawValue) }
        out.endVerbatimField()

        // RACE, ETHNICITY, GENDER
        out.beginField()
        out.append(t.races, p.race)
        out.endVerbatimField()

        out.verbatimField(p.isHispanic ? "hispanic" : "nonhispanic")

        if case .unknownGender? = invalid {
            out.verbatimField("X")
        } else {
            out.verbatimField(p.isFemale ? "F" : "M")
        }

        // BIRTHPLACE: "Town  State  US" with two spaces, as Synthea writes it.
        out.beginField()
        if let town = p.birthTown {
            out.append(t.townNames, town)
            out.append("  Massachusetts  US")
        } else {
            out.append(t.outOfState, p.birthOutOfState)
        }
        out.endField()

        // ADDRESS: the only field that may need quoting (",", and rarely a '"').
        out.beginField()
        out.append(decimal: UInt64(p.houseNumber))
        out.append(byte: UInt8(ascii: " "))
        out.append(t.streets, p.street)
        out.append(byte: UInt8(ascii: " "))
        out.append(t.streetSuffixes, p.streetSuffix)
        if let unit = p.unit {
            out.append(p.unitAfterComma ? ", " as StaticString : " ")
            switch unit {
            case .unit: out.append("Unit ")
            case .apartment: out.append("Apt ")
            case .suite: out.append("Suite ")
            }
            out.append(decimal: UInt64(p.unitNumber))
        }
        if p.hasQuotedNote { out.append(" \"Rear\"") }
        out.endField()

        // CITY, STATE, COUNTY, ZIP
        out.beginField()
        out.append(t.townNames, p.town)
        out.endField()

        out.verbatimField("Massachusetts")

        out.beginField()
        if p.hasCounty { out.append(t.counties, t.townCounty[p.town]) }
        out.endField()

        out.beginField()
        if p.hasZip { out.append(t.townZips, p.town) }
        out.endVerbatimField()

        // LAT, LON: 14 decimals, from integers scaled by 1e14 (exact, locale-free).
        out.beginField()
        if case .latitudeOutOfRange? = invalid {
            out.append("91.5")
        } else {
            out.append(fixedPoint: p.latitudeE14, fractionDigits: 14)
        }
        out.endVerbatimField()

        out.beginField()
        out.append(byte: UInt8(ascii: "-"))
        out.append(fixedPoint: p.westLongitudeE14, fractionDigits: 14)
        out.endVerbatimField()

        // HEALTHCARE_EXPENSES, HEALTHCARE_COVERAGE: dollars with 2 decimals, from cents.
        out.beginField()
        out.append(fixedPoint: p.expensesCents, fractionDigits: 2)
        out.endVerbatimField()

        out.beginField()
        out.append(fixedPoint: p.coverageCents, fractionDigits: 2)
        out.endVerbatimField()

        out.endRecord()
    }
}

// MARK: - Tables

extension SyntheaPatientGenerator {
    /// The word lists as byte tables, built once per process.
    struct Tables: Sendable {
        let maleFirst: ByteTable
        let femaleFirst: ByteTable
        let family: ByteTable
        let streets: ByteTable
        let streetSuffixes: ByteTable
        let townNames: ByteTable
        let townZips: ByteTable
        let townCounty: [Int]
        let counties: ByteTable
        let outOfState: ByteTable
        let races: ByteTable
        /// Cumulative per-mille weights of `races` (roughly Massachusetts' mix, which
        /// is what Synthea's default population uses).
        let raceCumulativePerMille: [Int]

        init() {
            typealias T = FakeIdentityTables
            maleFirst = ByteTable(T.maleFirstNames)
            femaleFirst = ByteTable(T.femaleFirstNames)
            family = ByteTable(T.familyNames)
            streets = ByteTable(T.streetNames)
            streetSuffixes = ByteTable(T.streetSuffixes)
            townNames = ByteTable(T.towns.map(\.name))
            townZips = ByteTable(T.towns.map(\.zip))
            townCounty = T.towns.map(\.county)
            counties = ByteTable(T.counties)
            outOfState = ByteTable(T.outOfStateBirthplaces)
            races = ByteTable(["white", "black", "asian", "native", "hawaiian", "other"])
            raceCumulativePerMille = [753, 835, 905, 910, 912, 1000]
        }
    }

    static let tables = Tables()
}

// MARK: - One patient's random draws

extension SyntheaPatientGenerator {
    /// Everything random about one row, drawn in a fixed order before anything is
    /// written (some early columns, e.g. PREFIX, depend on later ones such as GENDER
    /// and MARITAL). Formatting consumes no randomness, which is what keeps
    /// invalid-value injection from shifting the rest of the stream.
    struct Patient {
        enum Marital: UInt8 {
            case married = 0x4D   // "M"
            case single = 0x53    // "S"
            case divorced = 0x44  // "D"
            case widowed = 0x57   // "W"
        }

        enum UnitKind { case unit, apartment, suite }

        /// Dates are drawn from these bounds (inclusive).
        static let firstBirthDay = CivilDate(year: 1920, month: 1, day: 1).daysSinceEpoch
        static let lastBirthDay = CivilDate(year: 2024, month: 12, day: 31).daysSinceEpoch
        static let lastDeathDay = CivilDate(year: 2025, month: 12, day: 31).daysSinceEpoch
        /// Ages are counted at this year ("age ≥ 18 in 2025" makes an adult).
        static let referenceYear = 2025

        var idHigh: UInt64
        var idLow: UInt64
        var isFemale: Bool
        var birth: CivilDate
        var death: CivilDate?
        var isAdult: Bool
        var ssnGroup: Int
        var ssnSerial: Int
        var drivers: Int?
        var passport: Int?
        var marital: Marital?
        var first: Int
        var firstDigits: Int
        var last: Int
        var lastDigits: Int
        var suffix: Int?
        var maiden: Int?
        var maidenDigits: Int
        var race: Int
        var isHispanic: Bool
        var birthTown: Int?
        var birthOutOfState: Int
        var houseNumber: Int
        var street: Int
        var streetSuffix: Int
        var unit: UnitKind?
        var unitNumber: Int
        var unitAfterComma: Bool
        var hasQuotedNote: Bool
        var town: Int
        var hasCounty: Bool
        var hasZip: Bool
        var latitudeE14: UInt64
        var westLongitudeE14: UInt64
        var expensesCents: UInt64
        var coverageCents: UInt64

        init(drawingFrom rng: inout SplitMix64, _ t: Tables) {
            // Id: 122 random bits; version 4 and the RFC 4122 variant in the fixed bits.
            idHigh = (rng.next() & ~0xF000) | 0x4000
            idLow = (rng.next() & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000

            isFemale = rng.chance(perMille: 510)

            let birthDay = rng.int(in: Self.firstBirthDay...Self.lastBirthDay)
            birth = CivilDate(days: birthDay)
            let age = Self.referenceYear - birth.year
            isAdult = age >= 18

            // About 10% deceased: mostly the oldest (25% of those born before 1950,
            // who die after 50), rarely anyone else (4%). Adults die after about 18
            // (6570 days), so nobody with a prefix, licence or marital status died as
            // a child; that bound is still before 2025-12-31 for anyone born by 2007.
            let bornBefore1950 = birth.year < 1950
            if rng.chance(perMille: bornBefore1950 ? 250 : 40) {
                let earliest = bornBefore1950 ? birthDay + 50 * 365 : isAdult ? birthDay + 18 * 365 : birthDay + 1
                death = CivilDate(days: rng.int(in: earliest...Self.lastDeathDay))
            } else {
                death = nil
            }

            ssnGroup = rng.below(100)
            ssnSerial = rng.below(10_000)
            // (Conditions are written `if a, b` rather than `a && b` throughout: the
            // latter is an autoclosure call per row in unoptimized test builds.)
            drivers = nil
            if isAdult, rng.chance(perMille: 850) { drivers = rng.below(100_000) }
            passport = nil
            if isAdult, rng.chance(perMille: 700) { passport = rng.below(100_000_000) }

            if isAdult {
                let r = rng.below(1000)
                switch age {
                case ..<30:
                    marital = r < 650 ? .single : r < 950 ? .married : .divorced
                case 65...:
                    marital = r < 550 ? .married : r < 750 ? .widowed : r < 870 ? .divorced : .single
                default:
                    marital = r < 580 ? .married : r < 830 ? .single : r < 980 ? .divorced : .widowed
                }
            } else {
                marital = nil
            }

            first = rng.below(isFemale ? t.femaleFirst.count : t.maleFirst.count)
            firstDigits = rng.below(1000)
            last = rng.below(t.family.count)
            lastDigits = rng.below(1000)
            suffix = nil
            if isAdult, rng.chance(perMille: 10) { suffix = rng.below(FakeIdentityTables.suffixes.count) }
            if isFemale, case .married? = marital, rng.chance(perMille: 400) {
                maiden = rng.below(t.family.count)
                maidenDigits = rng.below(1000)
            } else {
                maiden = nil
                maidenDigits = 0
            }

            let r = rng.below(1000)
            var race = 0
            while r >= t.raceCumulativePerMille[race] { race += 1 }
            self.race = race
            isHispanic = rng.chance(perMille: 120)

            if rng.chance(perMille: 920) {
                birthTown = rng.below(t.townNames.count)
                birthOutOfState = 0
            } else {
                birthTown = nil
                birthOutOfState = rng.below(t.outOfState.count)
            }

            houseNumber = rng.int(in: 1...1999)
            street = rng.below(t.streets.count)
            streetSuffix = rng.below(t.streetSuffixes.count)
            if rng.chance(perMille: 200) {
                switch rng.below(3) {
                case 0: unit = .unit
                case 1: unit = .apartment
                default: unit = .suite
                }
                unitNumber = rng.int(in: 1...99)
                // One unit address in ten is written "12 Main Street, Unit 4": ~2% of
                // rows need CSV quoting, which readers must handle.
                unitAfterComma = rng.chance(perMille: 100)
            } else {
                unit = nil
                unitNumber = 0
                unitAfterComma = false
            }
            // ~0.2% carry a double quote, so the writer's quote doubling is exercised.
            hasQuotedNote = rng.chance(perMille: 2)

            town = rng.below(t.townNames.count)
            hasCounty = rng.chance(perMille: 950)
            hasZip = rng.chance(perMille: 850)

            // LAT 41.2…42.9, LON -73.5…-69.9 (Massachusetts' bounding box), in 1e-14.
            latitudeE14 = 4_120_000_000_000_000 + rng.below(170_000_000_000_001 as UInt64)
            westLongitudeE14 = 6_990_000_000_000_000 + rng.below(360_000_000_000_001 as UInt64)

            // Lifetime costs grow with the years lived.
            var lastYear = Self.referenceYear
            if let death { lastYear = death.year }
            let years = UInt64(lastYear > birth.year ? lastYear - birth.year : 1)
            expensesCents = years * UInt64(rng.int(in: 20_000...1_200_000)) + UInt64(rng.below(100))
            if rng.chance(perMille: 50) {
                coverageCents = 0  // uninsured
            } else {
                coverageCents = years * UInt64(rng.int(in: 0...3_000_000)) + UInt64(rng.below(100))
            }
        }
    }
}
