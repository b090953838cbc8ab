import Foundation
import Testing
import ClinloadCore
@testable import ClinloadSynth

/// Tests for the synthetic HL7 v2.5.1 XML generator. Structure is checked on the
/// bytes (the generator writes one segment per line), validity against the
/// project's own schema (`schemas/hl7v2/v2.5.xsd`) with `xmllint`, skipped when
/// xmllint is not installed.
@Suite struct HL7v2GeneratorTests {
    // MARK: determinism

    @Test func sameOptionsGiveIdenticalBytesAndOtherSeedsDiffer() throws {
        let first = try HL7Fixture.generate(messages: 300, seed: 7, kinds: .mixed)
        let second = try HL7Fixture.generate(messages: 300, seed: 7, kinds: .mixed)
        let otherSeed = try HL7Fixture.generate(messages: 300, seed: 8, kinds: .mixed)
        #expect(first == second)
        #expect(first != otherSeed)
        // A longer run starts with the shorter one's messages (only the trailer differs).
        let short = try HL7Fixture.generate(messages: 120, seed: 7, kinds: .mixed)
        let shortMessages = HL7Fixture.messages(in: short)
        let longMessages = HL7Fixture.messages(in: first)
        #expect(shortMessages.count == 120)
        #expect(Array(longMessages.prefix(120)) == shortMessages)
    }

    @Test func adtAndORUFilesWithTheSameSeedDescribeTheSamePatients() throws {
        let adt = HL7Fixture.messages(in: try HL7Fixture.generate(messages: 200, seed: 5, kinds: .adt))
        let oru = HL7Fixture.messages(in: try HL7Fixture.generate(messages: 200, seed: 5, kinds: .oru))
        #expect(adt.count == 200 && oru.count == 200)
        var compared = 0
        for k in 0..<200 where HL7Fixture.trigger(adt[k].text) != "A08" {
            // Message k of either file is about patient k: same MRN, same visit number.
            #expect(HL7Fixture.value(of: "CX.1", in: adt[k].text) == HL7Fixture.value(of: "CX.1", in: oru[k].text), "message \(k + 1)")
            #expect(HL7Fixture.visitNumber(adt[k].text) == HL7Fixture.visitNumber(oru[k].text), "message \(k + 1)")
            compared += 1
        }
        #expect(compared > 150)
        // A08 updates repeat an earlier patient's MRN.
        let mrns = adt.map { HL7Fixture.value(of: "CX.1", in: $0.text) }
        #expect(Set(mrns).count < 200)
        #expect(adt.contains { HL7Fixture.trigger($0.text) == "A08" })
    }

    // MARK: structure

    @Test(arguments: [HL7v2MessageGenerator.MessageKinds.adt, .oru, .mixed])
    func envelopeCountsAndKinds(kinds: HL7v2MessageGenerator.MessageKinds) throws {
        let generator = HL7v2MessageGenerator(options: .init(size: .messages(41), seed: 3, kinds: kinds))
        var bytes: [UInt8] = []
        let summary = try generator.write { bytes.append(contentsOf: $0) }
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(summary.bytes == bytes.count)
        #expect(summary.messages == 41)
        #expect(summary.adtMessages + summary.oruMessages == 41)
        #expect(text.hasPrefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<BATCH xmlns=\"urn:hl7-org:v2xml\">\n"))
        #expect(text.hasSuffix("<BTS><BTS.1>41</BTS.1></BTS>\n</MESSAGEBATCH>\n<FTS><FTS.1>1</FTS.1></FTS>\n</BATCH>\n"))
        #expect(!bytes.contains(UInt8(ascii: "\r")))
        let messages = HL7Fixture.messages(in: bytes)
        #expect(messages.count == 41)
        for (index, message) in messages.enumerated() {
            let ordinal = index + 1
            let expected = generator.kind(ofMessage: ordinal) == .adt ? "ADT_A01" : "ORU_R01"
            #expect(message.root == expected, "message \(ordinal)")
            // The control id carries the ordinal.
            let prefix = expected == "ADT_A01" ? "ADT" : "ORU"
            #expect(HL7Fixture.value(of: "MSH.10", in: message.text) == prefix + String(format: "%012d", ordinal))
            #expect(HL7Fixture.value(of: "VID.1", in: message.text) == "2.5.1")
        }
        switch kinds {
        case .adt: #expect(summary.adtMessages == 41)
        case .oru: #expect(summary.oruMessages == 41)
        case .mixed: #expect(summary.adtMessages == 21 && summary.oruMessages == 20)
        }
    }

    @Test func adtMessagesFollowTheADT_A01Structure() throws {
        let messages = HL7Fixture.messages(in: try HL7Fixture.generate(messages: 400, seed: 11, kinds: .adt))
        var sawDiagnosis = false, sawObservation = false, sawNextOfKin = false
        for message in messages {
            let segments = HL7Fixture.segmentNames(message.text)
            #expect(Array(segments.prefix(3)) == ["MSH", "EVN", "PID"])
            #expect(segments.filter { $0 == "PV1" }.count == 1)
            // Segment order as ADT_A01 defines it.
            let order = ["MSH", "EVN", "PID", "NK1", "PV1", "OBX", "AL1", "DG1"]
            let positions = segments.map { order.firstIndex(of: $0) ?? -1 }
            #expect(!positions.contains(-1), "\(segments)")
            #expect(positions == positions.sorted(), "\(segments)")
            let trigger = HL7Fixture.trigger(message.text)
            #expect(["A01", "A04", "A08"].contains(trigger))
            let patientClass = HL7Fixture.value(of: "PV1.2", in: message.text)
            if trigger == "A01" { #expect(patientClass == "I") }
            if trigger == "A04" { #expect(patientClass == "E" || patientClass == "O") }
            // The MRN typed MR comes first, then the SSN typed SS (999 area: never issued).
            #expect(message.text.contains("<CX.5>MR</CX.5></PID.3><PID.3><CX.1>999-"))
            sawDiagnosis = sawDiagnosis || segments.contains("DG1")
            sawObservation = sawObservation || segments.contains("OBX")
            sawNextOfKin = sawNextOfKin || segments.contains("NK1")
        }
        #expect(sawDiagnosis && sawObservation && sawNextOfKin)
    }

    @Test func oruMessagesCarryOnePatientAndTheirOrders() throws {
        let messages = HL7Fixture.messages(in: try HL7Fixture.generate(messages: 300, seed: 13, kinds: .oru))
        var valueTypes = Set<String>()
        for message in messages {
            let text = message.text
            #expect(HL7Fixture.count("<ORU_R01.PATIENT_RESULT>", in: text) == 1)
            #expect(HL7Fixture.count("<PID>", in: text) == 1)
            let orders = HL7Fixture.count("<ORU_R01.ORDER_OBSERVATION>", in: text)
            #expect(orders == 1 || orders == 2)
            #expect(HL7Fixture.count("<OBR>", in: text) == orders)
            #expect(HL7Fixture.count("<OBX>", in: text) >= orders)
            // Every OBX has a status and a time; accession numbers are unique per order.
            #expect(HL7Fixture.count("<OBX.11>F</OBX.11>", in: text) == HL7Fixture.count("<OBX>", in: text))
            for match in text.matches(of: /<OBX\.2>([A-Z]+)<\/OBX\.2>/) { valueTypes.insert(String(match.1)) }
        }
        #expect(valueTypes == ["NM", "SN", "CWE"])
        let accessions = messages.flatMap { $0.text.matches(of: /<OBR\.3><EI\.1>(A[0-9]+)<\/EI\.1>/).map { String($0.1) } }
        #expect(Set(accessions).count == accessions.count)
    }

    @Test func tableTextIsXMLSafe() {
        let unsafe: Set<UInt8> = [UInt8(ascii: "&"), UInt8(ascii: "<"), UInt8(ascii: ">")]
        let t = SyntheaPatientGenerator.tables
        for table in [t.maleFirst, t.femaleFirst, t.family, t.streets, t.streetSuffixes, t.townNames, t.townZips] {
            for entry in table.strings {
                #expect(!entry.utf8.contains { unsafe.contains($0) }, "\(entry)")
            }
        }
        var constants: [StaticString] = HL7v2Catalog.diagnoses.flatMap { [$0.icd10, $0.description] }
        constants += HL7v2Catalog.panels.flatMap { panel in [panel.loinc, panel.name] + panel.tests.flatMap { [$0.loinc, $0.name, $0.unit, $0.range] } }
        constants += HL7v2Catalog.vitalSigns.flatMap { [$0.loinc, $0.name, $0.unit, $0.range] }
        constants += HL7v2Catalog.codedTests.flatMap { [$0.loinc, $0.name] }
        constants += HL7v2Catalog.races.flatMap { [$0.code, $0.text] } + HL7v2Catalog.allergens.flatMap { [$0.code, $0.text] }
        constants += HL7v2Catalog.resultComments
        for constant in constants {
            let bytes = UnsafeBufferPointer(start: constant.utf8Start, count: constant.utf8CodeUnitCount)
            #expect(!bytes.contains { unsafe.contains($0) }, "\(constant)")
        }
    }

    @Test func escapingATableEntry() {
        let table = ByteTable(["Smith & Sons <Ltd>", "plain"])
        var writer = HL7v2XMLWriter()
        writer.text(table, 0)
        writer.text(table, 1)
        #expect(String(decoding: writer.bytes, as: UTF8.self) == "Smith &amp; Sons &lt;Ltd&gt;plain")
    }

    // MARK: size

    @Test(arguments: [1, 2_000, 250_000, 3_000_000])
    func targetSizeIsReachedWithinOneMessage(target: Int) throws {
        var chunks: [Int] = []
        var bytes: [UInt8] = []
        let summary = try HL7v2MessageGenerator(options: .init(size: .targetBytes(target), seed: 9, kinds: .mixed)).write {
            chunks.append($0.count)
            bytes.append(contentsOf: $0)
        }
        #expect(summary.bytes == bytes.count)
        #expect(bytes.count >= target)
        let messages = HL7Fixture.messages(in: bytes)
        #expect(messages.count == summary.messages)
        if let last = messages.last {
            // Without its last message the file (trailer included) would fall short.
            #expect(bytes.count - (last.text.utf8.count + 1) <= target + 1)
        }
        // Streamed in ~1 MiB chunks, never one growing buffer.
        #expect(chunks.dropLast().allSatisfy { $0 >= 1 << 20 && $0 < (1 << 20) + (64 << 10) })
    }

    @Test func zeroMessagesIsAnEmptyBatch() throws {
        let text = String(decoding: try HL7Fixture.generate(messages: 0, seed: 1, kinds: .adt), as: UTF8.self)
        #expect(text.contains("<MESSAGEBATCH>\n<BHS>"))
        #expect(text.hasSuffix("<BTS><BTS.1>0</BTS.1></BTS>\n</MESSAGEBATCH>\n<FTS><FTS.1>1</FTS.1></FTS>\n</BATCH>\n"))
    }

    @Test func invalidOptionsAreRejected() {
        #expect(throws: ClinloadError.self) { try HL7Fixture.generate(messages: -1, seed: 1, kinds: .adt) }
        #expect(throws: ClinloadError.self) {
            try HL7v2MessageGenerator(options: .init(size: .targetBytes(0))).write { _ in }
        }
        #expect(throws: ClinloadError.self) {
            try HL7v2MessageGenerator(options: .init(size: .messages(5), invalidEvery: 0)).write { _ in }
        }
    }

    // MARK: invalid messages

    @Test func everyNthMessageCarriesOneDefectInCycle() throws {
        let messages = 60
        let dirtyGenerator = HL7v2MessageGenerator(options: .init(size: .messages(messages), seed: 21, kinds: .mixed, invalidEvery: 4))
        var dirtyBytes: [UInt8] = []
        let summary = try dirtyGenerator.write { dirtyBytes.append(contentsOf: $0) }
        #expect(summary.invalidMessages == 15)
        let dirty = HL7Fixture.messages(in: dirtyBytes)
        let clean = HL7Fixture.messages(in: try HL7Fixture.generate(messages: messages, seed: 21, kinds: .mixed))
        #expect(dirty.count == messages && clean.count == messages)
        let cycle = HL7v2MessageGenerator.InvalidKind.allCases
        for ordinal in 1...messages {
            let kind = dirtyGenerator.invalidKind(forMessage: ordinal)
            #expect(dirtyGenerator.isInvalidMessage(ordinal) == (ordinal % 4 == 0))
            guard let kind else {
                // Valid messages are untouched by the injection.
                #expect(dirty[ordinal - 1] == clean[ordinal - 1], "message \(ordinal)")
                continue
            }
            #expect(kind == cycle[(ordinal / 4 - 1) % cycle.count])
            let text = dirty[ordinal - 1].text
            #expect(text != clean[ordinal - 1].text)
            switch kind {
            case .malformedBirthDate: #expect(text.contains(/<PID\.7><TS\.1>[0-9]{4}-[0-9]{2}-[0-9]{2}<\/TS\.1>/))
            case .unknownSex: #expect(text.contains("<PID.8>X</PID.8>"))
            case .missingPatientIdentifier: #expect(!text.contains("<PID.3>"))
            case .overlongControlId: #expect((HL7Fixture.value(of: "MSH.10", in: text)?.count ?? 0) > 20)
            case .undeclaredSegment: #expect(text.contains("<ZPI>"))
            }
        }
    }

    // MARK: the project's schema (xmllint)

    @Test(.enabled(if: HL7Fixture.xmllint != nil), arguments: [HL7v2MessageGenerator.MessageKinds.adt, .oru, .mixed])
    func validMessagesValidateAgainstTheSchema(kinds: HL7v2MessageGenerator.MessageKinds) throws {
        let result = try HL7Fixture.validate(HL7Fixture.generate(messages: 500, seed: 17, kinds: kinds))
        #expect(result.status == 0, "\(result.errors.prefix(3))")
        #expect(result.errors.isEmpty)
    }

    @Test(.enabled(if: HL7Fixture.xmllint != nil))
    func eachDefectIsTheOnlyErrorOfItsMessage() throws {
        // Every message invalid: 10 messages, two rounds of the cycle, ADT and ORU.
        let generator = HL7v2MessageGenerator(options: .init(size: .messages(10), seed: 23, kinds: .mixed, invalidEvery: 1))
        var bytes: [UInt8] = []
        try generator.write { bytes.append(contentsOf: $0) }
        let result = try HL7Fixture.validate(bytes)
        #expect(result.status != 0)
        #expect(result.errors.count == 10, "\(result.errors)")
        let expected: [HL7v2MessageGenerator.InvalidKind: (element: String, message: String)] = [
            .malformedBirthDate: ("TS.1", "[facet 'pattern']"),
            .unknownSex: ("PID.8", "[facet 'enumeration']"),
            .missingPatientIdentifier: ("PID.5", "This element is not expected"),
            .overlongControlId: ("MSH.10", "[facet 'maxLength']"),
            .undeclaredSegment: ("ZPI", "This element is not expected"),
        ]
        for (index, error) in result.errors.enumerated() {
            let kind = try #require(generator.invalidKind(forMessage: index + 1))
            let want = try #require(expected[kind])
            #expect(error.contains("element \(want.element):"), "\(kind): \(error)")
            #expect(error.contains(want.message), "\(kind): \(error)")
        }
    }
}

// MARK: - Fixture

private enum HL7Fixture {
    static func generate(messages: Int, seed: UInt64, kinds: HL7v2MessageGenerator.MessageKinds) throws -> [UInt8] {
        var bytes: [UInt8] = []
        try HL7v2MessageGenerator(options: .init(size: .messages(messages), seed: seed, kinds: kinds)).write {
            bytes.append(contentsOf: $0)
        }
        return bytes
    }

    struct Message: Equatable {
        var root: String
        var text: String
    }

    /// The messages of a generated file: from a line `<ADT_A01>` / `<ORU_R01>` to
    /// its closing line.
    static func messages(in bytes: [UInt8]) -> [Message] {
        var result: [Message] = []
        var current: [Substring] = []
        var root: String?
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false) {
            if root == nil, line == "<ADT_A01>" || line == "<ORU_R01>" {
                root = String(line.dropFirst().dropLast())
                current = [line]
            } else if let r = root {
                current.append(line)
                if line == "</\(r)>" {
                    result.append(Message(root: r, text: current.joined(separator: "\n")))
                    root = nil
                }
            }
        }
        return result
    }

    /// The segment names of a message in order (groups and the root skipped).
    static func segmentNames(_ text: String) -> [String] {
        text.split(separator: "\n").compactMap { line in
            guard line.hasPrefix("<"), !line.hasPrefix("</") else { return nil }
            let name = line.dropFirst().prefix { $0 != ">" }
            return name.count == 3 ? String(name) : nil
        }
    }

    /// The text of the first `<name>…</name>` in `text`.
    static func value(of name: String, in text: String) -> String? {
        guard let open = text.range(of: "<\(name)>"), let close = text.range(of: "</\(name)>", range: open.upperBound..<text.endIndex)
        else { return nil }
        return String(text[open.upperBound..<close.lowerBound])
    }

    static func trigger(_ text: String) -> String? { value(of: "MSG.2", in: text) }

    static func visitNumber(_ text: String) -> String? {
        guard let pv1 = text.range(of: "<PV1.19>") else { return nil }
        return value(of: "CX.1", in: String(text[pv1.lowerBound...]))
    }

    static func count(_ needle: String, in text: String) -> Int {
        text.components(separatedBy: needle).count - 1
    }

    // MARK: xmllint

    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let schema = repository.appendingPathComponent("schemas/hl7v2/v2.5.xsd").path

    static let xmllint: String? = {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let candidate = "\(dir)/xmllint"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }()

    struct XMLLintMissing: Error {}

    /// Validates `bytes` with `xmllint --noout --nonet --schema v2.5.xsd`: its exit
    /// status and its error lines ("file:line: element NAME: Schemas validity error ...").
    static func validate(_ bytes: [UInt8]) throws -> (status: Int32, errors: [String]) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("hl7v2-generator-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("batch.xml")
        try Data(bytes).write(to: file)
        let process = Process()
        guard let xmllint else { throw XMLLintMissing() }
        process.executableURL = URL(fileURLWithPath: xmllint)
        process.arguments = ["--noout", "--nonet", "--schema", schema, file.path]
        let stderr = Pipe()
        process.standardError = stderr
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let output = stderr.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let errors = String(decoding: output, as: UTF8.self).split(separator: "\n")
            .filter { $0.contains("validity error") || $0.contains("parser error") }.map(String.init)
        return (process.terminationStatus, errors)
    }
}
