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
        let loaded = definition.source.isXML
            ? try loadXMLSchemas(definition, url: url, pipelineBytes: pipelineBytes)
            : try loadTableSchema(definition, url: url, pipelineBytes: pipelineBytes)
        let problems = PipelineLint.problems(in: loaded)
        if let first = problems.first {
            throw ClinloadError(.pipelineInvalid, stage: .configuration, "the pipeline breaks a rule",
                                attributes: [("path", url.path), ("problem", first.description)]
                                    + (problems.count > 1 ? [("more_problems", "\(problems.count - 1)")] : []))
        }
        return loaded
    }

    static func loadTableSchema(_ definition: PipelineDefinition, url: URL, pipelineBytes: [UInt8]) throws -> LoadedPipeline {
        let schemaURL = try resolveSchema(definition.source.schema, besides: url)
        let schemaBytes = try readBytes(schemaURL, code: .schemaInvalid)
        let schema: TableSchema
        do {
            schema = try JSONDecoder().decode(TableSchema.self, from: Data(schemaBytes))
        } catch {
            throw ClinloadError(.schemaInvalid, stage: .configuration, "the schema file is not a valid Table Schema",
                                attributes: [("path", schemaURL.path), ("at", codingPath(of: error))])
        }
        return LoadedPipeline(
            definition: definition, schema: schema, pipelineURL: url, schemaURL: schemaURL,
            pipelineBytes: pipelineBytes, schemaBytes: schemaBytes)
    }

    /// XML: the XSDs are only located and hashed here; they are compiled (and
    /// their includes checked) when a batch starts.
    static func loadXMLSchemas(_ definition: PipelineDefinition, url: URL, pipelineBytes: [UInt8]) throws -> LoadedPipeline {
        let schemaURL: URL
        do {
            schemaURL = try resolveSchema(definition.source.schema, besides: url)
        } catch let error as ClinloadError where error.location.rule == "environment_variable_unset" {
            // A site-specific schema not configured here: the pipeline is known (and
            // linted), but a file for it fails with this error instead of every
            // other feed failing with it.
            var loaded = LoadedPipeline(
                definition: definition, schema: LoadedPipeline.recordSchema(of: definition), pipelineURL: url,
                schemaURL: url, pipelineBytes: pipelineBytes, schemaBytes: [])
            loaded.unavailable = error
            return loaded
        }
        var schemaBytes = try readBytes(schemaURL, code: .schemaInvalid)
        var byVersion: [String: URL] = [:]
        for (version, path) in definition.source.schemasByVersion.sorted(by: { $0.key < $1.key }) {
            let versionURL = try resolveSchema(path, besides: url)
            byVersion[version] = versionURL
            schemaBytes += Array("\u{0}\(version)\u{0}".utf8) + (try readBytes(versionURL, code: .schemaInvalid))
        }
        let root = definition.source.schemaRoot.map {
            URL(fileURLWithPath: $0, relativeTo: schemaURL.deletingLastPathComponent()).standardizedFileURL
        }
        // Included schemas change validation as much as the root does: every XSD
        // under the schema folder takes part in the definition hash.
        let folder = root ?? schemaURL.deletingLastPathComponent()
        for relative in includedSchemas(under: folder) {
            schemaBytes += Array("\u{0}\(relative)\u{0}".utf8) + (try readBytes(folder.appendingPathComponent(relative), code: .schemaInvalid))
        }
        return LoadedPipeline(
            definition: definition, schema: LoadedPipeline.recordSchema(of: definition), pipelineURL: url,
            schemaURL: schemaURL, pipelineBytes: pipelineBytes, schemaBytes: schemaBytes,
            xmlSchemasByVersion: byVersion, xmlSchemaRoot: root)
    }

    static func includedSchemas(under folder: URL) -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: folder.path) else { return [] }
        var found: [String] = []
        for case let relative as String in walker where relative.hasSuffix(".xsd") { found.append(relative) }
        return found.sorted()
    }

    /// A schema path from a pipeline, relative to the pipeline file, after
    /// `${VAR}` / `${VAR:default}` interpolation (site-specific schema copies).
    static func resolveSchema(_ path: String, besides pipeline: URL) throws -> URL {
        let expanded = try EnvironmentInterpolation.expand(path, environment: ProcessInfo.processInfo.environment)
        return URL(fileURLWithPath: expanded, relativeTo: pipeline.deletingLastPathComponent()).standardizedFileURL
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
