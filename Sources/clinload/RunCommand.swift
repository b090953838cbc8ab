import ArgumentParser
import ClinloadCore
import ClinloadDefinitions
import ClinloadEngine
import ClinloadStore
import Foundation

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Load input files through a pipeline, one batch per file (a file already loaded is skipped).")

    @Argument(help: "Pipeline name (from --pipelines) or path to a pipeline YAML file.")
    var pipeline: String

    @Argument(help: "Input files.")
    var files: [String]

    @Option(help: "Folder of pipeline definitions.")
    var pipelines: String = "pipelines"

    @OptionGroup var global: GlobalOptions

    func validate() throws {
        if files.isEmpty { throw ValidationError("give at least one input file") }
    }

    func run() throws {
        let logger = global.makeLogger()
        let environment = global.environment
        let outcomes: [BatchOutcome]
        let chainHead: (seq: Int, hash: [UInt8])
        do {
            let loaded = try DefinitionLoader.loadPipeline(pipeline, pipelinesDirectory: URL(fileURLWithPath: pipelines))
            let connection = try environment.connect()
            defer { connection.close() }
            let runner = BatchRunner(connection: connection, keyProvider: try environment.keyProvider(), logger: logger)
            try runner.recoverInterruptedBatches()
            outcomes = files.map { runner.run(pipeline: loaded, file: $0) }
            chainHead = try AuditLog(connection: connection).head()
        } catch let error as ClinloadError {
            throw CommandFailure(error)
        }
        print(RunSummary(outcomes: outcomes, environment: environment, chainHead: chainHead).text)
        let status = RunSummary.exitStatus(outcomes)
        if status != .success { throw ExitCode(status.rawValue) }
    }
}

/// Ends a command with a ClinloadError: its description on stderr (it holds no
/// values) and its exit status.
struct CommandFailure: Error, CustomStringConvertible {
    let error: ClinloadError
    init(_ error: ClinloadError) { self.error = error }
    var description: String { error.description }
}
