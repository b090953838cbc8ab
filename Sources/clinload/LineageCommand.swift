import ArgumentParser
import ClinloadCore
import ClinloadDefinitions
import ClinloadEngine
import ClinloadStore
import Foundation

struct LineageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lineage",
        abstract: "A batch's lineage as OpenLineage RunEvents (JSON lines): START, then COMPLETE or FAIL.")

    @Argument(help: "Batch id.") var id: String
    @Option(help: "Output format (openlineage).") var format: String = "openlineage"
    @Option(help: "OpenLineage job namespace.") var namespace: String = "clinload"
    @Option(help: "Folder of pipeline definitions (for schema and column-lineage facets).") var pipelines: String = "pipelines"
    @OptionGroup var global: GlobalOptions

    func validate() throws {
        if UUID(uuidString: id) == nil { throw ValidationError("the batch id must be a UUID") }
        if format != "openlineage" { throw ValidationError("the only format is openlineage") }
    }

    func run() throws {
        try failing {
            let connection = try global.environment.connect()
            defer { connection.close() }
            guard let record = try BatchRecord.load(UUID(uuidString: id)!, connection: connection) else {
                throw ClinloadError(.usage, stage: .cli, "no batch with this id", attributes: [("batch_id", id.lowercased())])
            }
            let server = try connection.query("""
                SELECT coalesce(host(inet_server_addr()), 'localhost'), current_setting('port'), current_database()
                """)
            let pipeline = try? DefinitionLoader.loadPipeline(record.pipeline, pipelinesDirectory: URL(fileURLWithPath: pipelines))
            let events = OpenLineageEvents(
                record: record, pipeline: pipeline, jobNamespace: namespace,
                outputNamespace: "postgres://\(server.string(0, 0)!):\(server.string(0, 1)!)", database: server.string(0, 2)!)
            for event in events.events { print(event.text) }
        }
    }
}
