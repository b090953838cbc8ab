import ArgumentParser
import ClinloadCore
import ClinloadDefinitions
import ClinloadEngine
import ClinloadPostgres
import ClinloadStore
import Foundation

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Load input files, one batch per file (a file already loaded is skipped).",
        discussion: """
            clinload run PIPELINE FILE...          load the files through one pipeline
            clinload run --all --input-dir DIR     load every file of a drop folder through the pipeline whose \
            `source.match` pattern claims it; one such run at a time (a second exits with 75)

            A file loads once per pipeline, whatever definition loaded it. --reload loads files an earlier \
            definition loaded again, under the current one, as new batches that supersede the earlier ones: \
            their rows in per-batch tables (events, reference data) are removed in the same transaction; \
            patients are updated. Files the current definition loaded stay skipped, so an interrupted \
            `run --all --reload` can simply be run again.
            """)

    @Argument(help: "Pipeline name (from --pipelines) or path to a pipeline YAML file, then input files.")
    var arguments: [String] = []

    @Flag(help: "Load every file of --input-dir, matched to pipelines by their file patterns.")
    var all = false

    @Option(help: "The drop folder (with --all).")
    var inputDir: String?

    @Option(help: "Folder of pipeline definitions.")
    var pipelines: String = "pipelines"

    @Flag(help: "Load files that an earlier definition of their pipeline loaded again, superseding those batches.")
    var reload = false

    @OptionGroup var global: GlobalOptions

    func validate() throws {
        if all {
            guard inputDir != nil else { throw ValidationError("--all needs --input-dir") }
            guard arguments.isEmpty else { throw ValidationError("--all takes no pipeline or files") }
        } else {
            guard arguments.count >= 2 else { throw ValidationError("give a pipeline and at least one input file (or --all --input-dir DIR)") }
            guard inputDir == nil else { throw ValidationError("--input-dir goes with --all") }
        }
    }

    func run() throws {
        let logger = global.makeLogger()
        let environment = global.environment
        var outcomes: [BatchOutcome] = []
        var notes: [String] = []
        var chainHead: (seq: Int, hash: [UInt8])?
        var stoppedOnRequest = false
        do {
            let pipelinesURL = URL(fileURLWithPath: pipelines)
            var work: [(path: String, pipeline: LoadedPipeline)] = []
            if all {
                let definitions = try DefinitionLoader.pipelineFiles(in: pipelinesURL).map {
                    try DefinitionLoader.loadPipeline($0.path, pipelinesDirectory: pipelinesURL)
                }
                let drop = try DropFolder(directory: URL(fileURLWithPath: inputDir!), pipelines: definitions)
                work = drop.assignments.map { ($0.path, $0.pipeline) }
                notes += drop.unmatched.map { "not loaded (no pipeline's pattern matches): \($0)" }
                notes += drop.ambiguous.map { "not loaded (claimed by \($0.pipelines.joined(separator: ", "))): \($0.path)" }
                for path in drop.unmatched { logger.warning("file matches no pipeline", metadata: ["path": "\(path)"]) }
            } else {
                let loaded = try DefinitionLoader.loadPipeline(arguments[0], pipelinesDirectory: pipelinesURL)
                work = arguments.dropFirst().map { ($0, loaded) }
            }
            let connection = try environment.connect()
            defer { connection.close() }
            if all {
                // One drop-folder run at a time, across processes and hosts sharing the store.
                guard try connection.query("SELECT pg_try_advisory_lock($1)", [.int(Self.runAllLockKey)]).string(0, 0) == "t" else {
                    throw ClinloadError(.lockHeld, stage: .cli, "another `clinload run --all` is in progress; try again later")
                }
            }
            let runner = BatchRunner(connection: connection, keyProvider: try environment.keyProvider(store: connection), logger: logger)
            runner.progress = ProgressBar.forTerminal()
            let trap = SignalTrap(canceller: connection.makeCanceller())
            runner.cancellation = trap.flag
            try runner.recoverInterruptedBatches()
            for item in work {
                if trap.flag.isCancelled {
                    notes.append("not attempted (stopped on request): \(item.path)")
                    continue
                }
                outcomes.append(runner.run(pipeline: item.pipeline, file: item.path, reload: reload))
                ProgressBar.clear(runner.progress)
            }
            stoppedOnRequest = trap.flag.isCancelled
            // The store may be gone by now (the batches say so); the summary still prints.
            chainHead = try? AuditLog(connection: connection).head()
        } catch let error as ClinloadError {
            throw CommandFailure(error)
        } catch let error as PostgresError {
            throw CommandFailure(error.clinloadError)
        }
        print(RunSummary(outcomes: outcomes, notes: notes, environment: environment, chainHead: chainHead).text)
        var status = RunSummary.exitStatus(outcomes)
        // Stopped between files: what was not attempted is still to do.
        if stoppedOnRequest && status == .success { status = .temporaryFailure }
        if status != .success { throw ExitCode(status.rawValue) }
    }

    static let runAllLockKey = 0x636C_6E6C_616C_6C00 // "clnlall"
}

/// Ends a command with a ClinloadError: its description on stderr (it holds no
/// values) and its exit status.
struct CommandFailure: Error, CustomStringConvertible {
    let error: ClinloadError
    init(_ error: ClinloadError) { self.error = error }
    var description: String { error.description }
}
