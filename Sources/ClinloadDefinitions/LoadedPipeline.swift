import ClinloadCore
import Foundation

/// A pipeline definition together with its schema and the exact bytes both were
/// read from (the pipeline's identity for idempotency is a hash of those bytes).
public struct LoadedPipeline: Sendable {
    public var definition: PipelineDefinition
    /// CSV: the Table Schema. XML: a schema synthesised from the record-level
    /// fields (all text; `required` as declared), so the split and vault code
    /// treat both formats alike; the XSD does the value checks.
    public var schema: TableSchema
    public var pipelineURL: URL
    /// CSV: the Table Schema file. XML: the default XSD.
    public var schemaURL: URL
    public var pipelineBytes: [UInt8]
    /// The bytes of every schema file named by the pipeline (for XML, the root XSDs).
    public var schemaBytes: [UInt8]
    /// XML: the XSD to use per HL7 version (MSH.12), beside the default `schemaURL`.
    public var xmlSchemasByVersion: [String: URL]
    /// XML: the folder the schemas' includes may be read from.
    public var xmlSchemaRoot: URL?
    /// Why this pipeline cannot run here (its schema location is not configured);
    /// nil when it can.
    public var unavailable: ClinloadError?

    public var name: String { definition.name }

    public init(definition: PipelineDefinition, schema: TableSchema, pipelineURL: URL, schemaURL: URL,
                pipelineBytes: [UInt8], schemaBytes: [UInt8], xmlSchemasByVersion: [String: URL] = [:], xmlSchemaRoot: URL? = nil) {
        self.definition = definition
        self.schema = schema
        self.pipelineURL = pipelineURL
        self.schemaURL = schemaURL
        self.pipelineBytes = pipelineBytes
        self.schemaBytes = schemaBytes
        self.xmlSchemasByVersion = xmlSchemasByVersion
        self.xmlSchemaRoot = xmlSchemaRoot
    }

    /// The Table Schema an XML pipeline's record-level fields amount to.
    static func recordSchema(of definition: PipelineDefinition) -> TableSchema {
        TableSchema(fields: definition.fields.map {
            TableSchema.Field(name: $0.name, type: .string, constraints: .init(required: $0.required))
        })
    }
}
