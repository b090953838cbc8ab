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
}
