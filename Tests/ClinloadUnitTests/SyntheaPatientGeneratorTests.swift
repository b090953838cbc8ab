import Foundation
import Testing
import ClinloadCore
@testable import ClinloadSynth

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Tests for the synthetic Synthea `patients.csv` generator. They parse its output
/// with an independent RFC 4180 splitter (below) and check every rule of
/// `schemas/csv/synthea_patients.schema.json` by hand, so a generator bug cannot hide
/// behind shared code.
@Suite struct SyntheaPatientGeneratorTests {
    static let headerLine =
        "Id,BIRTHDATE,DEATHDATE,SSN,DRIVERS,PASSPORT,PREFIX,FIRST,LAST,SUFFIX,MAIDEN,MARITAL,RACE,ETHNICITY,GENDER,BIRTHPLACE,ADDRESS,CITY,STATE,COUNTY,ZIP,LAT,LON,HEALTHCARE_EXPENSES,HEALTHCARE_COVERAGE"

    // MARK: shape

    @Test func headerIsExact() throws {
        #expect(SyntheaPatientGenerator.header.count == 25)
        #expect(SyntheaPatientGenerator.header.joined(separator: ",") == Self.headerLine)
        let empty = try SynthFixture.generate(rows: 0)
        #expect(String(decoding: empty, as: UTF8.self) == Self.headerLine + "\n")
        let some = try SynthFixture.generate(rows: 3)
        #expect(String(decoding: some, as: UTF8.self).hasPrefix(Self.headerLine + "\n"))
    }

    @Test func sameOptionsGiveIdenticalBytesAndOtherSeedsDiffer() throws {
        let first = try SynthFixture.generate(rows: 2_000, seed: 7)
        let second = try SynthFixture.generate(rows: 2_000, seed: 7)
        let otherSeed = try SynthFixture.generate(rows: 2_000, seed: 8)
        #expect(first == second)
        #expect(first != otherSeed)
        #expect(first.count > 2_000 * 150)
        // The default seed is 42, and a longer run starts with the shorter one.
        let defaultSeed = try SynthFixture.generate(rows: 500)
        let explicit42 = try SynthFixture.generate(rows: 1_000, seed: 42)
        #expect(defaultSeed == Array(explicit42.prefix(defaultSeed.count)))
    }

    @Test(arguments: [0, 1, 2, 999, 3_001])
    func recordAndFieldCounts(rows: Int) throws {
        let bytes = try SynthFixture.generate(rows: rows, seed: 3)
        #expect(bytes.last == UInt8(ascii: "\n"))
        #expect(!bytes.contains(UInt8(ascii: "\r")), "LF line endings only")
        let records = try SynthFixture.parseCSV(bytes)
        #expect(records.count == rows + 1)
        #expect(records.allSatisfy { $0.count == 25 })
        #expect(records.first == SyntheaPatientGenerator.header)
    }

    @Test func idsAreUniqueOver200kRows() throws {
        let rows = 200_000
        var ids = Set<SynthFixture.IdKey>()
        ids.reserveCapacity(rows)
        var formatProblems: [String] = []
        var sawHeader = false
        // Streamed (chunks end on record boundaries), so 55 MB are never held at once.
        try SyntheaPatientGenerator(options: .init(rows: rows, seed: 42)).write { chunk in
            let base = chunk.baseAddress!
            var offset = 0
            while offset < chunk.count {
                let line = base + offset
                let newline = UnsafeRawPointer(memchr(line, 0x0A, chunk.count - offset)!)
                if sawHeader {
                    // Every data line starts with its 36-byte Id (never quoted).
                    ids.insert(SynthFixture.IdKey(line))
                    if ids.count <= 2_000 {
                        let id = String(decoding: UnsafeRawBufferPointer(start: line, count: 36), as: UTF8.self)
                        if !SynthFixture.isLowercaseUUID(id) || line.load(fromByteOffset: 36, as: UInt8.self) != 0x2C {
                            formatProblems.append(id)
                        }
                    }
                } else {
                    sawHeader = true
                }
                offset = base.distance(to: newline) + 1
            }
        }
        #expect(formatProblems.isEmpty, "\(formatProblems.prefix(5))")
        #expect(ids.count == rows)
    }

    // MARK: invalid rows

    @Test func invalidEveryTenthRowCarriesOneInvalidValueInCycle() throws {
        let rows = 120
        let generator = SyntheaPatientGenerator(options: .init(rows: rows, seed: 42, invalidEvery: 10))
        for ordinal in 1...rows {
            #expect(generator.isInvalidRow(ordinal) == (ordinal % 10 == 0))
        }
        #expect(!SyntheaPatientGenerator(options: .init(rows: rows)).isInvalidRow(10))

        let dirty = try SynthFixture.parseCSV(try SynthFixture.generate(generator)).dropFirst().map { $0 }
        let clean = try SynthFixture.parseCSV(try SynthFixture.generate(rows: rows, seed: 42)).dropFirst().map { $0 }
        #expect(dirty.count == rows && clean.count == rows)

        let column = Dictionary(uniqueKeysWithValues: SyntheaPatientGenerator.header.enumerated().map { ($1, $0) })
        // The cycle: BIRTHDATE, SSN, GENDER, FIRST, LAT, then BIRTHDATE again.
        let expected: [Int: (field: String, value: String)] = [
            10: ("BIRTHDATE", "2019-02-30"), 20: ("SSN", "999-1X-0000"), 30: ("GENDER", "X"),
            40: ("FIRST", ""), 50: ("LAT", "91.5"), 60: ("BIRTHDATE", "2019-02-30"),
            70: ("SSN", "999-1X-0000"), 80: ("GENDER", "X"), 90: ("FIRST", ""),
            100: ("LAT", "91.5"), 110: ("BIRTHDATE", "2019-02-30"), 120: ("SSN", "999-1X-0000"),
        ]
        for ordinal in 1...rows {
            let row = dirty[ordinal - 1]
            if let bad = expected[ordinal] {
                #expect(row[column[bad.field]!] == bad.value, "row \(ordinal)")
                // Exactly one field differs from the clean run, and it is the only problem.
                let differing = (0..<25).filter { row[$0] != clean[ordinal - 1][$0] }
                #expect(differing == [column[bad.field]!], "row \(ordinal)")
                #expect(SynthFixture.validationProblems(row) == [bad.field], "row \(ordinal)")
            } else {
                // Valid rows are untouched by the injection, and valid.
                #expect(row == clean[ordinal - 1], "row \(ordinal)")
                #expect(SynthFixture.validationProblems(row).isEmpty, "row \(ordinal): \(SynthFixture.validationProblems(row))")
            }
        }
    }

    @Test func invalidOptionsAreRejected() {
        #expect(throws: ClinloadError.self) { try SynthFixture.generate(rows: -1) }
        #expect(throws: ClinloadError.self) {
            try SynthFixture.generate(SyntheaPatientGenerator(options: .init(rows: 5, invalidEvery: 0)))
        }
    }

    // MARK: valid rows

    @Test(arguments: [UInt64(42), 1, 0xDEAD_BEEF])
    func validRowsSatisfyTheSchema(seed: UInt64) throws {
        let records = try SynthFixture.parseCSV(try SynthFixture.generate(rows: 2_500, seed: seed)).dropFirst()
        #expect(records.count == 2_500)
        let ssn = try Regex("^999-[0-9]{2}-[0-9]{4}$")
        var failures: [String] = []
        for (index, row) in records.enumerated() {
            var problems = SynthFixture.validationProblems(row)
            if row[3].wholeMatch(of: ssn) == nil { problems.append("SSN (regex)") }
            if !SynthFixture.isRealDate(row[1]) { problems.append("BIRTHDATE (date)") }
            if !["M", "F"].contains(row[14]) { problems.append("GENDER (enum)") }
            if !problems.isEmpty { failures.append("row \(index + 1): \(problems)") }
        }
        #expect(failures.isEmpty, "\(failures.prefix(10))")
    }

    @Test func someValuesAreNonASCIIAndAllAreUTF8() throws {
        let bytes = try SynthFixture.generate(rows: 3_000)
        #expect(String(validating: bytes, as: UTF8.self) != nil)
        let records = try SynthFixture.parseCSV(bytes).dropFirst()
        let nonASCIINames = records.filter { row in
            (row[7] + row[8]).unicodeScalars.contains { !$0.isASCII }
        }
        #expect(nonASCIINames.count >= 10)
        let spaced = records.filter { $0[8].dropLast(3).contains(" ") }
        #expect(!spaced.isEmpty, "some family names have a space, e.g. De la Cruz")
    }

    @Test func someAddressesNeedQuotingAndOnlyThoseAreQuoted() throws {
        let bytes = try SynthFixture.generate(rows: 5_000)
        let records = try SynthFixture.parseCSV(bytes)
        let withComma = records.dropFirst().filter { $0[16].contains(",") }
        let withQuote = records.dropFirst().filter { $0[16].contains("\"") }
        #expect(withComma.count >= 50 && withComma.count <= 160, "~2% of 5000: \(withComma.count)")
        #expect(!withQuote.isEmpty)
        let text = String(decoding: bytes, as: UTF8.self)
        let quoted = withComma[withComma.startIndex][16]
        #expect(text.contains(",\"\(quoted.replacingOccurrences(of: "\"", with: "\"\""))\","))
        // Re-serialising with "quote only when needed" reproduces the bytes exactly,
        // so nothing else was quoted and every needed quote is there.
        #expect(SynthFixture.serializeCSV(records) == bytes)
    }

    @Test func distributionsLookRealistic() throws {
        let rows = 10_000
        let records = try SynthFixture.parseCSV(try SynthFixture.generate(rows: rows, seed: 11)).dropFirst()
        func share(_ predicate: ([String]) -> Bool) -> Double {
            Double(records.filter(predicate).count) / Double(rows)
        }
        let dead = share { !$0[2].isEmpty }
        #expect(dead > 0.07 && dead < 0.13, "DEATHDATE ~10%: \(dead)")
        let noZip = share { $0[20].isEmpty }
        #expect(noZip > 0.12 && noZip < 0.18, "ZIP empty ~15%: \(noZip)")
        let noCounty = share { $0[19].isEmpty }
        #expect(noCounty > 0.03 && noCounty < 0.07, "COUNTY empty ~5%: \(noCounty)")
        let units = share { row in ["Unit ", "Apt ", "Suite "].contains { row[16].contains($0) } }
        #expect(units > 0.17 && units < 0.23, "units ~20%: \(units)")
        let white = share { $0[12] == "white" }
        #expect(white > 0.70 && white < 0.80)
        #expect(Set(records.map { $0[12] }).count >= 5)
        #expect(Set(records.map { $0[11] }) == ["", "M", "S", "D", "W"])
        #expect(Set(records.map { $0[9] }) == ["", "PhD", "MD", "JD"])
        let adults = records.filter { !$0[6].isEmpty }
        let drivers = Double(adults.filter { !$0[4].isEmpty }.count) / Double(adults.count)
        let passports = Double(adults.filter { !$0[5].isEmpty }.count) / Double(adults.count)
        #expect(drivers > 0.81 && drivers < 0.89, "DRIVERS ~85% of adults: \(drivers)")
        #expect(passports > 0.66 && passports < 0.74, "PASSPORT ~70% of adults: \(passports)")
        let marriedWomen = records.filter { $0[14] == "F" && $0[11] == "M" }
        let maiden = Double(marriedWomen.filter { !$0[10].isEmpty }.count) / Double(marriedWomen.count)
        #expect(maiden > 0.35 && maiden < 0.45, "MAIDEN ~40% of married women: \(maiden)")
        #expect(Set(records.map { $0[17] }).count >= 60)
        #expect(Set(records.map { $0[19] }).count == 15)  // 14 counties + empty
    }

    // MARK: files

    @Test func writeToPathCreatesAPrivateFileAndTruncates() throws {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("synthea-\(UUID().uuidString).csv").path
        defer { unlink(path) }
        // An existing, world-readable, longer file is replaced and tightened.
        let stale = [UInt8](repeating: UInt8(ascii: "z"), count: 2_000_000)
        #expect(FileManager.default.createFile(atPath: path, contents: Data(stale),
                                               attributes: [.posixPermissions: 0o644]))
        let generator = SyntheaPatientGenerator(options: .init(rows: 1_000, seed: 5, invalidEvery: 7))
        let written = try generator.write(to: path)
        let onDisk = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(written == onDisk.count)
        #expect(onDisk == (try SynthFixture.generate(generator)))
        var info = stat()
        #expect(stat(path, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o600)
    }

    @Test func writeToAnImpossiblePathThrows() {
        #expect(throws: ClinloadError.self) {
            try SyntheaPatientGenerator(options: .init(rows: 1)).write(to: "/nonexistent-dir/x/patients.csv")
        }
    }

    @Test func sinkReceivesBoundedChunks() throws {
        var chunks: [Int] = []
        var endsOnRecordBoundary = true
        try SyntheaPatientGenerator(options: .init(rows: 12_000)).write { chunk in
            chunks.append(chunk.count)
            if chunk.last != 0x0A { endsOnRecordBoundary = false }
        }
        #expect(chunks.count >= 3)
        #expect(chunks.allSatisfy { $0 <= (1 << 20) + (64 << 10) })
        #expect(endsOnRecordBoundary)
    }

    // MARK: building blocks

    @Test func csvLineWriterQuotesOnlyWhenNeeded() {
        var writer = CSVLineWriter(flushThreshold: 16)
        writer.field("plain")
        writer.field("a,b")
        writer.field("say \"hi\"")
        writer.field("")
        writer.field("line\nbreak")
        writer.field("cr\rhere")
        writer.field("Zoë O'Brien")
        writer.endRecord()
        writer.beginField()
        writer.append(decimal: 7 as UInt64, minDigits: 3)
        writer.append(byte: UInt8(ascii: ","))
        writer.append(fixedPoint: 1_205, fractionDigits: 2)
        writer.endField()
        writer.beginField()
        writer.append(uuidHigh: 0x0123_4567_89AB_CDEF, low: 0xFEDC_BA98_7654_3210)
        writer.endVerbatimField()
        writer.verbatimField("M")
        writer.emptyField()
        writer.endRecord()
        // (Read the noncopyable writer into locals: `#expect` captures its operands.)
        let text = String(decoding: writer.bytes, as: UTF8.self)
        let neededFlush = writer.needsFlush
        #expect(text == "plain,\"a,b\",\"say \"\"hi\"\"\",,\"line\nbreak\",\"cr\rhere\",Zoë O'Brien\n\"007,12.05\",01234567-89ab-cdef-fedc-ba9876543210,M,\n")
        #expect(neededFlush)
        var flushed: [UInt8] = []
        writer.flush { flushed.append(contentsOf: $0) }
        let pendingAfterFlush = writer.count
        let needsFlushAfterFlush = writer.needsFlush
        #expect(String(decoding: flushed, as: UTF8.self) == text)
        #expect(pendingAfterFlush == 0 && !needsFlushAfterFlush)
    }

    @Test func splitMix64MatchesTheReferenceImplementation() {
        var zero = SplitMix64(seed: 0)
        #expect(zero.next() == 0xE220_A839_7B1D_CDAF)
        var rng = SplitMix64(seed: 1_234_567)
        let expected: [UInt64] = [
            6_457_827_717_110_365_317, 3_203_168_211_198_807_973, 9_817_491_932_198_370_423,
            4_593_380_528_125_082_431, 16_408_922_859_458_223_821,
        ]
        #expect((0..<5).map { _ in rng.next() } == expected)
        var bounded = SplitMix64(seed: 9)
        for _ in 0..<10_000 {
            let value = bounded.below(7)
            #expect(value >= 0 && value < 7)
        }
    }

    @Test func civilDateRoundTrips() {
        #expect(CivilDate(year: 1970, month: 1, day: 1).daysSinceEpoch == 0)
        #expect(CivilDate(year: 2000, month: 3, day: 1).daysSinceEpoch == 11_017)
        #expect(CivilDate(days: -1) == CivilDate(year: 1969, month: 12, day: 31))
        let first = CivilDate(year: 1920, month: 1, day: 1).daysSinceEpoch
        let last = CivilDate(year: 2025, month: 12, day: 31).daysSinceEpoch
        var previous = CivilDate(days: first - 1)
        var wrong: [Int] = []
        for day in stride(from: first, through: last, by: 1) {
            let date = CivilDate(days: day)
            let consecutive = date.day == 1 || (date.day == previous.day + 1 && date.month == previous.month)
            if date.daysSinceEpoch != day || date.day < 1
                || date.day > CivilDate.daysInMonth(year: date.year, month: date.month) || !consecutive {
                wrong.append(day)
            }
            previous = date
        }
        #expect(wrong.isEmpty)
    }

    @Test func identityTablesAreLargeVariedAndCSVSafe() {
        typealias T = FakeIdentityTables
        #expect(T.maleFirstNames.count + T.femaleFirstNames.count >= 150)
        #expect(T.familyNames.count >= 200)
        #expect(T.towns.count >= 60)
        #expect(T.counties.count == 14)
        #expect(Set(T.towns.map(\.county)) == Set(0..<14), "every county has a town")
        #expect(T.towns.allSatisfy { $0.zip.count == 5 && ($0.zip.hasPrefix("01") || $0.zip.hasPrefix("02")) })
        for list in [T.maleFirstNames, T.femaleFirstNames, T.familyNames, T.streetNames,
                     T.streetSuffixes, T.counties, T.towns.map(\.name), T.outOfStateBirthplaces] {
            #expect(Set(list).count == list.count, "no duplicates")
            for entry in list {
                #expect(!entry.isEmpty && !entry.unicodeScalars.contains { ",\"\r\n".unicodeScalars.contains($0) },
                        "\(entry)")
                #expect(entry.last.map { !$0.isNumber } ?? false, "\(entry)")
            }
        }
        let names = T.maleFirstNames + T.femaleFirstNames + T.familyNames
        for required in ["José", "Zoë", "Müller", "O'Brien", "De la Cruz"] {
            #expect(names.contains(required), "\(required)")
        }
        let table = ByteTable(["José", "", "Zoë"])
        #expect(table.count == 3 && table.strings == ["José", "", "Zoë"])
    }
}

// MARK: - Helpers (private to this file)

/// Test helpers, namespaced so they cannot collide with other test files' helpers.
private enum SynthFixture {
    static func generate(rows: Int, seed: UInt64 = 42) throws -> [UInt8] {
        try generate(SyntheaPatientGenerator(options: .init(rows: rows, seed: seed)))
    }

    static func generate(_ generator: SyntheaPatientGenerator) throws -> [UInt8] {
        var bytes: [UInt8] = []
        try generator.write { bytes.append(contentsOf: $0) }
        return bytes
    }

    struct CSVSyntaxError: Error, CustomStringConvertible {
        var description: String
    }

    /// A small RFC 4180 reader, independent of the generator: fields separated by commas,
    /// optionally enclosed in double quotes (`""` inside is one quote, and commas, CR and
    /// LF are literal), records ended by LF or CRLF.
    static func parseCSV(_ bytes: [UInt8]) throws -> [[String]] {
        var records: [[String]] = []
        var record: [String] = []
        var field: [UInt8] = []
        var index = 0
        var inQuotes = false
        var fieldWasQuoted = false
        let quote = UInt8(ascii: "\""), comma = UInt8(ascii: ","), lf = UInt8(ascii: "\n"), cr = UInt8(ascii: "\r")
        func endField() {
            record.append(String(decoding: field, as: UTF8.self))
            field.removeAll(keepingCapacity: true)
            fieldWasQuoted = false
        }
        while index < bytes.count {
            let byte = bytes[index]
            if inQuotes {
                if byte == quote {
                    if index + 1 < bytes.count && bytes[index + 1] == quote {
                        field.append(quote)
                        index += 1
                    } else {
                        inQuotes = false
                    }
                } else {
                    field.append(byte)
                }
            } else {
                switch byte {
                case quote:
                    guard field.isEmpty && !fieldWasQuoted else {
                        throw CSVSyntaxError(description: "stray quote at byte \(index)")
                    }
                    inQuotes = true
                    fieldWasQuoted = true
                case comma:
                    endField()
                case cr where index + 1 < bytes.count && bytes[index + 1] == lf:
                    break
                case lf:
                    endField()
                    records.append(record)
                    record.removeAll(keepingCapacity: true)
                default:
                    guard !fieldWasQuoted else {
                        throw CSVSyntaxError(description: "text after closing quote at byte \(index)")
                    }
                    field.append(byte)
                }
            }
            index += 1
        }
        guard !inQuotes else { throw CSVSyntaxError(description: "unterminated quoted field") }
        if !field.isEmpty || !record.isEmpty {
            endField()
            records.append(record)
        }
        return records
    }

    /// The inverse: quote a field only if it contains a comma, quote, CR or LF.
    static func serializeCSV(_ records: [[String]]) -> [UInt8] {
        var out = ""
        for record in records {
            out += record.map { field in
                field.unicodeScalars.contains { ",\"\r\n".unicodeScalars.contains($0) }
                    ? "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
                    : field
            }.joined(separator: ",")
            out += "\n"
        }
        return Array(out.utf8)
    }

    /// 36 raw bytes of an Id, hashable without building a String. Equality compares
    /// all 36 bytes; the hash feeds one mixed word (cheaper in debug builds).
    struct IdKey: Hashable {
        var a: UInt64, b: UInt64, c: UInt64, d: UInt64, e: UInt32
        init(_ p: UnsafeRawPointer) {
            a = p.loadUnaligned(as: UInt64.self)
            b = p.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
            c = p.loadUnaligned(fromByteOffset: 16, as: UInt64.self)
            d = p.loadUnaligned(fromByteOffset: 24, as: UInt64.self)
            e = p.loadUnaligned(fromByteOffset: 32, as: UInt32.self)
        }
        func hash(into hasher: inout Hasher) {
            hasher.combine(a ^ (b &* 31) ^ (c &* 961) ^ (d &* 29_791) ^ UInt64(e))
        }
    }

    static func isLowercaseUUID(_ s: String) -> Bool {
        let bytes = Array(s.utf8)
        guard bytes.count == 36 else { return false }
        for (i, byte) in bytes.enumerated() {
            if [8, 13, 18, 23].contains(i) {
                if byte != UInt8(ascii: "-") { return false }
            } else if !((0x30...0x39).contains(byte) || (0x61...0x66).contains(byte)) {
                return false
            }
        }
        return true
    }

    static func isDigits(_ s: Substring) -> Bool {
        !s.isEmpty && s.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }

    /// YYYY-MM-DD naming a real day of the Gregorian calendar.
    static func isRealDate(_ s: String) -> Bool {
        let parts = s.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              parts.allSatisfy(isDigits),
              let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
              (1...12).contains(month), day >= 1 else { return false }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let lengths = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        return day <= lengths[month - 1]
    }

    /// A fixed-point decimal with exactly `decimals` digits after the point.
    static func isDecimal(_ s: String, decimals: Int) -> Bool {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 2 && isDigits(parts[0]) && isDigits(parts[1]) && parts[1].count == decimals
    }

    /// A Synthea-style name: a list entry followed by 1–3 digits (no leading zero).
    static func isSyntheaName(_ s: String, from list: [String]) -> Bool {
        let digits = s.reversed().prefix { $0.isASCII && $0.isNumber }.count
        guard (1...3).contains(digits) else { return false }
        let number = s.suffix(digits)
        guard number == "0" || !number.hasPrefix("0") else { return false }
        return list.contains(String(s.dropLast(digits)))
    }

    /// Every schema rule (and the generator's own realism rules) for one data row;
    /// returns the names of the fields that break them.
    static func validationProblems(_ row: [String]) -> [String] {
        let header = SyntheaPatientGenerator.header
        guard row.count == header.count else { return ["<field count \(row.count)>"] }
        let value = Dictionary(uniqueKeysWithValues: zip(header, row))
        typealias T = FakeIdentityTables
        var problems: [String] = []
        func check(_ field: String, _ ok: Bool) { if !ok { problems.append(field) } }

        check("Id", isLowercaseUUID(value["Id"]!))
        let birth = value["BIRTHDATE"]!
        let birthOK = isRealDate(birth) && birth >= "1920-01-01" && birth <= "2024-12-31"
        check("BIRTHDATE", birthOK)
        let death = value["DEATHDATE"]!
        // (After birth: only comparable when the birth date itself is valid.)
        check("DEATHDATE", death.isEmpty || (isRealDate(death) && (!birthOK || death > birth) && death <= "2025-12-31"))

        let ssn = value["SSN"]!.split(separator: "-", omittingEmptySubsequences: false)
        check("SSN", ssn.count == 3 && ssn[0] == "999" && ssn[1].count == 2 && ssn[2].count == 4
              && ssn.allSatisfy(isDigits))

        // Adults (18 or more in 2025) have a prefix and a marital status; minors neither.
        let isAdult = birthOK ? 2025 - Int(birth.prefix(4))! >= 18 : !value["PREFIX"]!.isEmpty
        let gender = value["GENDER"]!
        let marital = value["MARITAL"]!
        let drivers = value["DRIVERS"]!
        check("DRIVERS", drivers.isEmpty || (isAdult && drivers.count == 9 && drivers.hasPrefix("S999")
              && isDigits(drivers.dropFirst(4))))
        let passport = value["PASSPORT"]!
        check("PASSPORT", passport.isEmpty || (isAdult && passport.count == 10 && passport.first == "X"
              && passport.last == "X" && isDigits(passport.dropFirst().dropLast())))
        if isAdult && birthOK && !death.isEmpty {
            check("DEATHDATE (adults do not die as children)", Int(death.prefix(4))! - Int(birth.prefix(4))! >= 17)
        }
        let prefix = value["PREFIX"]!
        if isAdult {
            let expected = gender == "M" ? ["Mr."] : (marital == "M" || marital == "W") ? ["Mrs."] : ["Ms."]
            check("PREFIX", gender == "X" ? ["Mr.", "Mrs.", "Ms."].contains(prefix) : expected.contains(prefix))
            check("MARITAL", ["M", "S", "D", "W"].contains(marital))
        } else {
            check("PREFIX", prefix.isEmpty)
            check("MARITAL", marital.isEmpty)
        }
        let first = value["FIRST"]!
        let firstNames = gender == "F" ? T.femaleFirstNames : gender == "M" ? T.maleFirstNames
            : T.femaleFirstNames + T.maleFirstNames
        check("FIRST", isSyntheaName(first, from: firstNames) && first.count <= 100)
        check("LAST", isSyntheaName(value["LAST"]!, from: T.familyNames))
        check("SUFFIX", ["", "PhD", "MD", "JD"].contains(value["SUFFIX"]!))
        let maiden = value["MAIDEN"]!
        check("MAIDEN", maiden.isEmpty || (gender != "M" && marital == "M" && isSyntheaName(maiden, from: T.familyNames)))
        check("RACE", ["white", "black", "asian", "native", "hawaiian", "other"].contains(value["RACE"]!))
        check("ETHNICITY", ["hispanic", "nonhispanic"].contains(value["ETHNICITY"]!))
        check("GENDER", ["M", "F"].contains(gender))

        let birthplace = value["BIRTHPLACE"]!.components(separatedBy: "  ")
        check("BIRTHPLACE", birthplace.count == 3 && birthplace[2] == "US" && !birthplace[0].isEmpty
              && (birthplace[1] != "Massachusetts" || T.towns.contains { $0.name == birthplace[0] }))

        let address = value["ADDRESS"]!
        let addressWords = address.split(separator: " ")
        check("ADDRESS", addressWords.count >= 3 && isDigits(addressWords[0]) && address.count <= 200
              && T.streetNames.contains(String(addressWords[1])))

        let city = value["CITY"]!
        let town = T.towns.first { $0.name == city }
        check("CITY", town != nil)
        check("STATE", value["STATE"]! == "Massachusetts")
        let county = value["COUNTY"]!
        check("COUNTY", county.isEmpty || (town.map { T.counties[$0.county] == county } ?? false))
        let zipCode = value["ZIP"]!
        check("ZIP", zipCode.isEmpty || (zipCode.count == 5 && isDigits(Substring(zipCode))
              && (zipCode.hasPrefix("01") || zipCode.hasPrefix("02")) && zipCode == town?.zip))

        let lat = value["LAT"]!
        check("LAT", isDecimal(lat, decimals: 14) && Double(lat).map { $0 >= 41.2 && $0 <= 42.9 } ?? false)
        let lon = value["LON"]!
        check("LON", lon.hasPrefix("-") && isDecimal(String(lon.dropFirst()), decimals: 14)
              && Double(lon).map { $0 >= -73.5 && $0 <= -69.9 } ?? false)
        check("HEALTHCARE_EXPENSES", isDecimal(value["HEALTHCARE_EXPENSES"]!, decimals: 2))
        check("HEALTHCARE_COVERAGE", isDecimal(value["HEALTHCARE_COVERAGE"]!, decimals: 2))
        return problems
    }
}
