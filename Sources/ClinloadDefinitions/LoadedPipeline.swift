import Foundation

/// A pipeline definition together with its schema and the exact bytes both were
/// read from (the pipeline's identity for idempotency is a hash of those bytes).
public struct LoadedPipeline: Sendable {
    public var definition: PipelineDefinition
    public var schema: TableSchema
    public var pipelineURL: URL
    public var schemaURL: URL
    public var pipelineBytes: [UInt8]
    public var schemaBytes: [UInt8]

    public var name: String { definition.name }

    public init(definition: PipelineDefinition, schema: TableSchema, pipelineURL: URL, schemaURL: URL,
                pipelineBytes: [UInt8], schemaBytes: [UInt8]) {
        self.definition = definition
        self.schema = schema
        self.pipelineURL = pipelineURL
        self.schemaURL = schemaURL
        self.pipelineBytes = pipelineBytes
        self.schemaBytes = schemaBytes
    }
}
