import ArgumentParser
import ClinloadCore
import ClinloadEngine
import ClinloadPostgres
import ClinloadStore
import Foundation

struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Re-run a failed or rejected batch from its recorded input, as a new batch linked to it.",
        discussion: "The input must have the recorded SHA-256; --input says where the same bytes are now.")

    @Argument(help: "The batch to replay.") var id: String
    @Option(help: "Where the recorded input file is now (default: its recorded path).") var input: String?
    @Option(help: "Folder of pipeline definitions.") var pipelines: String = "pipelines"
    @OptionGroup var global: GlobalOptions

    func validate() throws {
        if UUID(uuidString: id) == nil { throw ValidationError("the batch id must be a UUID") }
    }

    func run() throws {
        let logger = global.makeLogger()
        let environment = global.environment
        let outcome: BatchOutcome
        var chainHead: (seq: Int, hash: [UInt8])?
        do {
            let connection = try environment.connect()
            defer { connection.close() }
            let runner = BatchRunner(connection: connection, keyProvider: try environment.keyProvider(store: connection), logger: logger)
            let trap = SignalTrap(canceller: connection.makeCanceller())
            runner.cancellation = trap.flag
            try runner.recoverInterruptedBatches()
            let ledger = BatchLedger(connection: connection)
            guard let recorded = try ledger.recorded(UUID(uuidString: id)!) else {
                throw ClinloadError(.usage, stage: .cli, "no batch with this id", attributes: [("batch_id", id.lowercased())])
            }
            let plan = try ReplayPlan.prepare(
                batch: recorded, input: input, pipelinesDirectory: URL(fileURLWithPath: pipelines),
                loadedElsewhere: try ledger.loadedBatches(pipeline: recorded.pipeline, inputSHA256: recorded.inputSHA256).last?.batchId)
            outcome = runner.run(pipeline: plan.pipeline, file: plan.path, replayOf: plan.original)
            // The store may be gone by now (the batches say so); the summary still prints.
            chainHead = try? AuditLog(connection: connection).head()
        } catch let error as ClinloadError {
            throw CommandFailure(error)
        } catch let error as PostgresError {
            throw CommandFailure(error.clinloadError)
        }
        print(RunSummary(outcomes: [outcome], environment: environment, chainHead: chainHead).text)
        let status = RunSummary.exitStatus([outcome])
        if status != .success { throw ExitCode(status.rawValue) }
    }
}
