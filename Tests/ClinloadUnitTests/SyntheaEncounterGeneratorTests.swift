import ClinloadCore
import ClinloadDefinitions
import ClinloadExtract
@testable import ClinloadSynth
import ClinloadValidate
import Foundation
import Testing

/// The generated encounters must load: every row valid under the repository's
/// own schema (through the validator the loads use), every patient but the
/// planted unknown ones a row of the patients file of the same seed, and every
/// encounter inside its patient's life.
@Suite("Synthea encounters generator")
struct SyntheaEncounterGeneratorTests {
    /// Each record's fields as strings (header excluded), read with the loads' own CSV reader.
    func records(_ path: String) throws -> [[String]] {
        let reader = try CSVReader(path: path, header: true)
        var record = CSVRecord()
        var out: [[String]] = []
        _ = try reader.read(into: &record)
        while try reader.read(into: &record) {
            out.append((0..<record.fieldCount).map { i in record.withField(i) { String(decoding: $0, as: UTF8.self) } })
        }
        return out
    }

    @Test func encountersAreValidAndBelongToThePatientsOfTheSameSeed() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("clinload-enc-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let patientsPath = directory.appendingPathComponent("patients.csv").path
        let encountersPath = directory.appendingPathComponent("encounters.csv").path
        try SyntheaPatientGenerator(options: .init(rows: 400, seed: 11)).write(to: patientsPath)
        let summary = try SyntheaEncounterGenerator(options: .init(patients: 400, perPatient: 4, seed: 11, unknownPatientEvery: 50))
            .write(to: encountersPath)
        #expect(summary.bytes == (try FileManager.default.attributesOfItem(atPath: encountersPath)[.size] as? Int))

        let loaded = try DefinitionLoader.loadPipeline("synthea_encounters", pipelinesDirectory: Repository.pipelines)
        #expect(loaded.schema.fieldNames == SyntheaEncounterGenerator.header)
        let validator = try RecordValidator(schema: loaded.schema)
        let reader = try CSVReader(path: encountersPath, header: true)
        var record = CSVRecord()
        _ = try reader.read(into: &record)
        #expect((0..<record.fieldCount).map { i in record.withField(i) { String(decoding: $0, as: UTF8.self) } } == SyntheaEncounterGenerator.header)
        var invalid: [String] = []
        var count = 0
        while try reader.read(into: &record) {
            count += 1
            let reasons = validator.violations(of: record)
            if !reasons.isEmpty { invalid.append("record \(count): \(reasons.map { "\($0.field)/\($0.rule)" })") }
        }
        #expect(invalid.isEmpty, "\(invalid.prefix(5))")
        #expect(count == summary.encounters)
        // 0...8 encounters for each of 400 patients (those dead before 2000 have none).
        #expect((1_000...2_200).contains(count))
        #expect(summary.unknownPatients == count / 50)

        // PATIENT: a patient of the file, in its order, encounters grouped; the
        // planted ones name nobody. Dates lie within the patient's life and 2000–2025.
        let patients = try records(patientsPath)
        let lives = Dictionary(uniqueKeysWithValues: patients.map { ($0[0], (birth: $0[1], death: $0[2])) })
        let order = Dictionary(uniqueKeysWithValues: patients.enumerated().map { ($1[0], $0) })
        var unknown = 0
        var lastPatient = -1
        for (index, row) in try records(encountersPath).enumerated() {
            guard let life = lives[row[3]], let position = order[row[3]] else {
                unknown += 1
                #expect((index + 1) % 50 == 0, "an unknown patient at encounter \(index + 1)")
                continue
            }
            #expect(position >= lastPatient, "encounters grouped by patient, in the patients' order")
            lastPatient = position
            let day = String(row[1].prefix(10))
            #expect(row[1] <= row[2] && String(row[2].prefix(10)) == day)
            #expect(day >= max(life.birth, "2000-01-01") && day <= "2025-12-31")
            if !life.death.isEmpty { #expect(day <= life.death) }
        }
        #expect(unknown == summary.unknownPatients)
    }

    @Test func sameOptionsGiveIdenticalBytes() throws {
        func bytes(seed: UInt64) throws -> [UInt8] {
            var out: [UInt8] = []
            try SyntheaEncounterGenerator(options: .init(patients: 300, seed: seed)).write { out.append(contentsOf: $0) }
            return out
        }
        #expect(try bytes(seed: 5) == bytes(seed: 5))
        #expect(try bytes(seed: 5) != bytes(seed: 6))
        #expect(throws: ClinloadError.self) { try SyntheaEncounterGenerator(options: .init(patients: -1)).write { _ in } }
    }
}
