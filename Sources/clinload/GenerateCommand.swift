import ArgumentParser
import ClinloadCore
import ClinloadSynth
import Foundation

struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Write a synthetic, Synthea-shaped patients CSV with realistic fake PHI (deterministic per seed).")

    @Option(help: "Number of patient rows.") var rows = 1000
    @Option(help: "Random seed (same seed and rows: same bytes).") var seed: UInt64 = 42
    @Option(help: "Make every Nth row invalid (to exercise quarantine).") var invalidEvery: Int?
    @Option(name: .shortAndLong, help: "Output file (created with mode 0600).") var output: String

    func validate() throws {
        if rows < 0 { throw ValidationError("--rows must be 0 or more") }
        if let n = invalidEvery, n < 1 { throw ValidationError("--invalid-every must be 1 or more") }
    }

    func run() throws {
        let clock = ContinuousClock()
        let start = clock.now
        let generator = SyntheaPatientGenerator(options: .init(rows: rows, seed: seed, invalidEvery: invalidEvery))
        let bytes: Int
        do {
            bytes = try generator.write(to: output)
        } catch let error as ClinloadError {
            throw CommandFailure(error)
        }
        let elapsed = clock.now - start
        print("wrote \(rows) patients (\(bytes) bytes) to \(output) in \(elapsed.formatted(.units(allowed: [.seconds, .milliseconds])))")
    }
}
