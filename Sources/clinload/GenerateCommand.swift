import ArgumentParser
import ClinloadCore
import ClinloadSynth
import Foundation

struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Write a synthetic feed with realistic fake PHI (deterministic per seed).",
        discussion: """
            --format csv (default): a Synthea-shaped patients.csv, --rows rows.
            --format synthea-encounters: an encounters.csv for the --patients patients that \
            --format csv writes with the same --seed (0 to 2 × --per-patient encounters \
            each, grouped by patient); the synthea_encounters pipeline loads it once they \
            are loaded. With --invalid-every N, every Nth encounter names an unknown patient.
            --format hl7v2-xml: an HL7 v2.5.1 v2.xml BATCH file of ADT^A01/A04/A08 and/or \
            ORU^R01 messages, sized by --messages or --target-bytes (e.g. 100M). \
            --message-types adt (default) and oru make files the hl7v2_adt / hl7v2_oru \
            pipelines load (same seed: same patients); mixed interleaves both, for \
            schema-only work.
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case csv
        case syntheaEncounters = "synthea-encounters"
        case hl7v2Xml = "hl7v2-xml"
    }

    enum MessageTypes: String, ExpressibleByArgument, CaseIterable {
        case adt, oru, mixed

        var kinds: HL7v2MessageGenerator.MessageKinds {
            switch self {
            case .adt: return .adt
            case .oru: return .oru
            case .mixed: return .mixed
            }
        }
    }

    @Option(help: "Output format: csv, synthea-encounters or hl7v2-xml.") var format: Format = .csv
    @Option(help: "Number of patient rows (csv; default 1000).") var rows: Int?
    @Option(help: "Patients whose encounters to write (synthea-encounters; default 1000).") var patients: Int?
    @Option(help: "Average encounters per patient (synthea-encounters; default 5).") var perPatient: Int?
    @Option(help: "Number of messages (hl7v2-xml; default 1000 unless --target-bytes).") var messages: Int?
    @Option(help: ArgumentHelp(
        "Messages until the file reaches this size (hl7v2-xml): bytes, or with K/M/G (10^3, 10^6, 10^9) or KiB/MiB/GiB.",
        valueName: "size")) var targetBytes: String?
    @Option(help: "Message types (hl7v2-xml).") var messageTypes: MessageTypes = .adt
    @Option(help: "Random seed (same seed and size: same bytes).") var seed: UInt64 = 42
    @Option(help: "Make every Nth row / message invalid (to exercise quarantine).") var invalidEvery: Int?
    @Option(name: .shortAndLong, help: "Output file (created with mode 0600).") var output: String

    func validate() throws {
        if let n = invalidEvery, n < 1 { throw ValidationError("--invalid-every must be 1 or more") }
        if format != .syntheaEncounters, patients != nil || perPatient != nil {
            throw ValidationError("--patients and --per-patient apply to --format synthea-encounters")
        }
        switch format {
        case .csv, .syntheaEncounters:
            if let rows, rows < 0 { throw ValidationError("--rows must be 0 or more") }
            if format == .syntheaEncounters, rows != nil {
                throw ValidationError("--rows applies to --format csv; use --patients")
            }
            if let patients, patients < 0 { throw ValidationError("--patients must be 0 or more") }
            if let perPatient, perPatient < 0 { throw ValidationError("--per-patient must be 0 or more") }
            if messages != nil || targetBytes != nil {
                throw ValidationError("--messages and --target-bytes apply to --format hl7v2-xml")
            }
        case .hl7v2Xml:
            if rows != nil { throw ValidationError("--rows applies to --format csv; use --messages") }
            if messages != nil, targetBytes != nil {
                throw ValidationError("give --messages or --target-bytes, not both")
            }
            if let messages, messages < 0 { throw ValidationError("--messages must be 0 or more") }
            if let targetBytes, (Self.parseSize(targetBytes) ?? 0) < 1 {
                throw ValidationError("--target-bytes must be a size such as 1048576, 500K, 100M or 1GiB")
            }
        }
    }

    func run() throws {
        let clock = ContinuousClock()
        let start = clock.now
        do {
            switch format {
            case .csv:
                let rows = rows ?? 1000
                let generator = SyntheaPatientGenerator(options: .init(rows: rows, seed: seed, invalidEvery: invalidEvery))
                let bytes = try generator.write(to: output)
                let elapsed = clock.now - start
                print("wrote \(rows) patients (\(bytes) bytes) to \(output) in \(elapsed.formatted(.units(allowed: [.seconds, .milliseconds])))")
            case .syntheaEncounters:
                let patients = patients ?? 1000
                let generator = SyntheaEncounterGenerator(options: .init(
                    patients: patients, perPatient: perPatient ?? 5, seed: seed, unknownPatientEvery: invalidEvery))
                let summary = try generator.write(to: output)
                let elapsed = clock.now - start
                print("wrote \(summary.encounters) encounters of \(patients) patients (\(summary.unknownPatients) of unknown patients; \(summary.bytes) bytes) to \(output) in \(elapsed.formatted(.units(allowed: [.seconds, .milliseconds])))")
            case .hl7v2Xml:
                let size: HL7v2MessageGenerator.Size
                if let targetBytes, let bytes = Self.parseSize(targetBytes) {
                    size = .targetBytes(bytes)
                } else {
                    size = .messages(messages ?? 1000)
                }
                let generator = HL7v2MessageGenerator(
                    options: .init(size: size, seed: seed, kinds: messageTypes.kinds, invalidEvery: invalidEvery))
                let summary = try generator.write(to: output)
                let elapsed = clock.now - start
                print("wrote \(summary.messages) HL7 v2 messages (\(summary.adtMessages) ADT, \(summary.oruMessages) ORU, \(summary.invalidMessages) invalid; \(summary.bytes) bytes) to \(output) in \(elapsed.formatted(.units(allowed: [.seconds, .milliseconds])))")
            }
        } catch let error as ClinloadError {
            throw CommandFailure(error)
        }
    }

    /// "1048576", "500K", "100M", "2G" (powers of 1000), "64KiB", "100MiB", "1GiB" (powers of 1024).
    static func parseSize(_ text: String) -> Int? {
        let units: [(suffix: String, factor: Int)] = [
            ("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30),
            ("K", 1_000), ("M", 1_000_000), ("G", 1_000_000_000), ("", 1),
        ]
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        for unit in units where trimmed.hasSuffix(unit.suffix) {
            let number = trimmed.dropLast(unit.suffix.count)
            guard let value = Int(number), value >= 0 else { return nil }
            let (product, overflow) = value.multipliedReportingOverflow(by: unit.factor)
            return overflow ? nil : product
        }
        return nil
    }
}
