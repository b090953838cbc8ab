import ArgumentParser
import ClinloadCore
import ClinloadDefinitions
import Foundation

struct LintCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lint", abstract: "Check every pipeline and its schema without touching data.")

    @Option(help: "Folder of pipeline definitions.") var pipelines: String = "pipelines"

    func run() throws {
        let files = DefinitionLoader.pipelineFiles(in: URL(fileURLWithPath: pipelines))
        var failures = 0
        for file in files {
            do {
                let loaded = try DefinitionLoader.loadPipeline(file.path, pipelinesDirectory: URL(fileURLWithPath: pipelines))
                print("ok    \(file.lastPathComponent)  (\(loaded.definition.fields.count) fields classified)")
            } catch let error as ClinloadError {
                failures += 1
                print("FAIL  \(file.lastPathComponent)  \(error)")
            }
        }
        if files.isEmpty { print("no pipeline files in \(pipelines)") }
        if failures > 0 { throw ExitCode(ExitStatus.configuration.rawValue) }
    }
}
