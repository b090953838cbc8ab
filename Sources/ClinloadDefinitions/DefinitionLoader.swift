import ClinloadCore
import Foundation
import Yams

/// Reads pipeline files and their schemas, and checks them (see `PipelineLint`)
/// before any data is touched.
public enum DefinitionLoader {
    /// Loads a pipeline by file path, or by name from `pipelinesDirectory`
    /// (`synthea_patients` → `pipelines/synthea_patients.yaml`).
    public static func loadPipeline(_ nameOrPath: String, pipelinesDirectory: URL) throws -> LoadedPipeline {
        let url = resolve(nameOrPath, in: pipelinesDirectory)
        let pipelineBytes = try readBytes(url, code: .pipelineInvalid)
        let definition: PipelineDefinition
        do {
            definition = try YAMLDecoder().decode(PipelineDefinition.self, from: Data(pipelineBytes))
        } catch {
            throw ClinloadError(.pipelineInvalid, stage: .configuration, "the pipeline file does not match the pipeline format",
                                attributes: [("path", url.path), ("at", codingPath(of: error))])
        }
        let schemaURL = URL(fileURLWithPath: definition.source.schema, relativeTo: url.deletingLastPathComponent())
            .standardizedFileURL
        let schemaBytes = try readBytes(schemaURL, code: .schemaInvalid)
        let schema: TableSchema
        do {
            schema = try JSONDecoder().decode(TableSchema.self, from: Data(schemaBytes))
        } catch {
            throw ClinloadError(.schemaInvalid, stage: .configuration, "the schema file is not a valid Table Schema",
                                attributes: [("path", schemaURL.path), ("at", codingPath(of: error))])
        }
        let loaded = LoadedPipeline(
            definition: definition, schema: schema, pipelineURL: url, schemaURL: schemaURL,
            pipelineBytes: pipelineBytes, schemaBytes: schemaBytes)
        let problems = PipelineLint.problems(in: loaded)
        if let first = problems.first {
            throw ClinloadError(.pipelineInvalid, stage: .configuration, "the pipeline breaks a rule",
                                attributes: [("path", url.path), ("problem", first.description)]
                                    + (problems.count > 1 ? [("more_problems", "\(problems.count - 1)")] : []))
        }
        return loaded
    }

    /// Every `*.yaml` / `*.yml` pipeline file in a folder, sorted by name.
    public static func pipelineFiles(in directory: URL) -> [URL] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
            .map { directory.appendingPathComponent($0) }
    }

    static func resolve(_ nameOrPath: String, in directory: URL) -> URL {
        if nameOrPath.contains("/") || nameOrPath.hasSuffix(".yaml") || nameOrPath.hasSuffix(".yml") {
            return URL(fileURLWithPath: nameOrPath).standardizedFileURL
        }
        return directory.appendingPathComponent("\(nameOrPath).yaml").standardizedFileURL
    }

    static func readBytes(_ url: URL, code: ClinloadError.Code) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw ClinloadError(code, stage: .configuration, "cannot read the file", attributes: [("path", url.path)])
        }
        return [UInt8](data)
    }

    /// The key path at which decoding failed (configuration keys, never values).
    static func codingPath(of error: Error) -> String {
        let path: [CodingKey]
        switch error as? DecodingError {
        case .typeMismatch(_, let ctx)?, .valueNotFound(_, let ctx)?, .dataCorrupted(let ctx)?:
            path = ctx.codingPath
        case .keyNotFound(let key, let ctx)?:
            path = ctx.codingPath + [key]
        default:
            return "document"
        }
        let text = path.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
        return text.isEmpty ? "document" : String(text.drop { $0 == "." })
    }
}
