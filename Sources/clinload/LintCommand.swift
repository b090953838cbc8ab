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
                let rows = loaded.definition.rows.reduce(0) { $0 + $1.fields.count }
                let counted = "\(loaded.definition.fields.count + rows) fields classified" + (loaded.definition.drop.isEmpty ? "" : ", \(loaded.definition.drop.count) parts dropped")
                if let unavailable = loaded.unavailable {
                    print("ok    \(file.lastPathComponent)  (\(counted); cannot run here: \(unavailable))")
                } else {
                    print("ok    \(file.lastPathComponent)  (\(counted))")
                }
            } catch let error as ClinloadError {
                failures += 1
                print("FAIL  \(file.lastPathComponent)  \(error)")
            }
        }
        if files.isEmpty { print("no pipeline files in \(pipelines)") }
        if failures > 0 { throw ExitCode(ExitStatus.configuration.rawValue) }
    }
}
