// libFuzzer target: any bytes as a pipeline YAML and as a Table Schema JSON,
// decoded, then linted (and patterns compiled). Decoding errors are expected;
// crashes are bugs. Built by scripts/fuzz.
import ClinloadCore
import ClinloadDefinitions
import ClinloadValidate
import Foundation
import Yams

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDefinitions(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Data(bytes: data, count: size)
    let schema = try? JSONDecoder().decode(TableSchema.self, from: bytes)
    if let schema { _ = try? RecordValidator(schema: schema) }
    if let pipeline = try? YAMLDecoder().decode(PipelineDefinition.self, from: bytes) {
        let table = schema ?? TableSchema(fields: pipeline.fields.map { .init(name: $0.name, type: .string) })
        let loaded = LoadedPipeline(definition: pipeline, schema: table, pipelineURL: URL(fileURLWithPath: "/p.yaml"),
                                    schemaURL: URL(fileURLWithPath: "/s.json"), pipelineBytes: [], schemaBytes: [])
        _ = PipelineLint.problems(in: loaded)
    }
    return 0
}
