import ArgumentParser
import ClinloadCore
import ClinloadDefinitions
import ClinloadEngine
import Foundation

/// Research extracts: de-identified files for a study, with a manifest, released
/// only if the independent release gate finds nothing.
struct ExtractCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "extract",
        abstract: "Write a de-identified research extract (Safe Harbor or Limited Data Set) with a manifest; verify one.",
        discussion: "The spec format is in docs/EXTRACTS.md; examples in extracts/.",
        subcommands: [Write.self, Verify.self], defaultSubcommand: Write.self)

    struct Write: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "write", abstract: "Write an extract (the default).")
        @Option(help: "The extract spec (YAML).") var spec: String
        @Option(help: "Output folder (created 0700; must not hold an extract already).") var out: String
        @Option(help: "Folder of de-identification rule tables (default: schemas/deid beside the pipelines folder).") var rules: String?
        @OptionGroup var global: GlobalOptions

        func run() throws {
            try failing {
                let (parsed, bytes) = try ExtractSpec.load(spec)
                let connection = try global.environment.connect()
                defer { connection.close() }
                let rulesFolder = URL(fileURLWithPath: rules ?? "schemas/deid")
                let result = try ResearchExtract.run(spec: parsed, specBytes: bytes, outDirectory: out, connection: connection,
                                                     provider: try global.environment.keyProvider(store: connection), rulesFolder: rulesFolder)
                for file in result.files { print("\(file.name)  \(file.rows) rows  sha256 \(file.sha256)") }
                if let k = result.kAnonymity {
                    print("k-anonymity: minimum k \(k.minimumK), unique combinations \(k.uniqueCombinations), patients suppressed \(result.suppressed)")
                }
                print("\(result.patients) patients; manifest \(result.manifestPath)")
            }
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Re-check an extract folder against its manifest (exit 65 on any difference).")
        @Argument(help: "The extract folder.") var directory: String
        @Flag(help: "Also find the manifest's digest in the audit trail (its extract_released entry) and verify the hash chain.")
        var audit = false
        @OptionGroup var global: GlobalOptions

        func run() throws {
            try failing {
                var problems = try ExtractManifest.verify(directory: directory)
                var anchor: Int?
                if audit {
                    let connection = try global.environment.connect()
                    defer { connection.close() }
                    let checked = try ExtractManifest.verifyAgainstAudit(directory: directory, connection: connection)
                    anchor = checked.seq
                    problems += checked.problems
                }
                if problems.isEmpty {
                    print("extract matches its manifest" + (anchor.map { "; manifest recorded by audit entry \($0), chain intact" } ?? ""))
                } else {
                    for problem in problems { print(problem) }
                    throw ExitCode(ExitStatus.dataError.rawValue)
                }
            }
        }
    }
}
