import ClinloadCore
import ClinloadDefinitions
import ClinloadStore
import Foundation

/// A batch as OpenLineage RunEvents (spec 2-0-2): START when it began, then
/// COMPLETE (loaded) or FAIL (failed, rejected); runId = batch id, job name =
/// pipeline. Inputs carry their SHA-256 as dataset version and read statistics;
/// outputs carry row counts, their schema, and column lineage in which every vault
/// column is a masking DIRECT transformation (AES-256-GCM). Errors are codes and
/// stages only. Nothing here comes from a record value.
public struct OpenLineageEvents {
    public var record: BatchRecord
    /// The pipeline definition, if it is still the one the batch ran with
    /// (schema and column-lineage facets need it).
    public var pipeline: LoadedPipeline?
    public var jobNamespace: String
    /// `postgres://host:port` of the store.
    public var outputNamespace: String
    public var database: String

    public init(record: BatchRecord, pipeline: LoadedPipeline?, jobNamespace: String, outputNamespace: String, database: String) {
        self.record = record
        self.pipeline = pipeline.flatMap { $0.definitionSHA256 == record.pipelineSHA256 ? $0 : nil }
        self.jobNamespace = jobNamespace
        self.outputNamespace = outputNamespace
        self.database = database
    }

    static let producer = "urn:clinload:\(ToolVersion.current)"
    static let runEventSchema = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"
    static let facetSpec = "https://openlineage.io/spec/facets/"

    /// The events, oldest first.
    public var events: [CanonicalJSON] {
        var out: [CanonicalJSON] = []
        if let started = record.startedAt { out.append(event(type: "START", time: started, final: false)) }
        if let finished = record.finishedAt, record.state.isTerminal {
            out.append(event(type: record.state.committedData ? "COMPLETE" : "FAIL", time: finished, final: true))
        }
        return out
    }

    private func event(type: String, time: String, final: Bool) -> CanonicalJSON {
        var runFacets: [String: CanonicalJSON] = [
            "clinload_batch": facet(custom: "batch", [
                "pipeline_version": .int(record.pipelineVersion), "pipeline_sha256": .string(record.pipelineSHA256),
                "tool_version": .string(record.toolVersion), "state": .string(final ? record.state.rawValue : "running"),
                "data_key_id": record.dataKeyId.map { .string($0.uuidString.lowercased()) } ?? .null,
                "replay_of": record.replayOf.map { .string($0.uuidString.lowercased()) } ?? .null,
                "records_read": final ? record.recordsRead.map { .int($0) } ?? .null : .null,
                "records_quarantined": final ? record.recordsQuarantined.map { .int($0) } ?? .null : .null,
            ]),
        ]
        if final, !record.state.committedData {
            let code = record.errorCode ?? "unknown"
            runFacets["errorMessage"] = facet("1-0-1/ErrorMessageRunFacet", [
                "message": .string("\(code) at stage \(record.errorStage ?? "unknown")"), "programmingLanguage": "Swift",
            ])
        }
        var members: [String: CanonicalJSON] = [
            "eventType": .string(type), "eventTime": .string(time), "producer": .string(Self.producer),
            "schemaURL": .string(Self.runEventSchema),
            "run": ["runId": .string(record.batchId.uuidString.lowercased()), "facets": .object(runFacets)],
            "job": ["namespace": .string(jobNamespace), "name": .string(record.pipeline)],
            "inputs": .array(record.inputs.map { input($0, final: final) }),
        ]
        members["outputs"] = .array(outputs(final: final))
        return .object(members)
    }

    private func input(_ input: BatchRecord.Input, final: Bool) -> CanonicalJSON {
        var object: [String: CanonicalJSON] = [
            "namespace": "file", "name": .string(input.path),
            "facets": ["version": facet("1-0-1/DatasetVersionDatasetFacet", ["datasetVersion": .string("sha256:" + input.sha256)])],
        ]
        if final, let records = input.records {
            object["inputFacets"] = ["inputStatistics": facet("1-0-0/InputStatisticsInputDatasetFacet", [
                "rowCount": .int(records), "size": .int(input.bytes), "fileCount": 1,
            ])]
        }
        return .object(object)
    }

    private func outputs(final: Bool) -> [CanonicalJSON] {
        var tables = Set(record.rowsLoaded.keys)
        if let pipeline {
            let target = pipeline.definition.target
            tables.formUnion([target.identity, target.clinical].compactMap { $0?.description })
            tables.formUnion(pipeline.definition.rows.map(\.table.description))
        }
        return tables.sorted().map { table in
            var object: [String: CanonicalJSON] = ["namespace": .string(outputNamespace), "name": .string("\(database).\(table)")]
            var facets: [String: CanonicalJSON] = [:]
            if let (schema, lineage) = columns(of: table) {
                facets["schema"] = facet("1-2-0/SchemaDatasetFacet", ["fields": .array(schema)])
                facets["columnLineage"] = facet("1-2-0/ColumnLineageDatasetFacet", ["fields": .object(lineage)])
            }
            if !facets.isEmpty { object["facets"] = .object(facets) }
            if final, record.state.committedData, let rows = record.rowsLoaded[table] {
                object["outputFacets"] = ["outputStatistics": facet("1-0-2/OutputStatisticsOutputDatasetFacet", ["rowCount": .int(rows)])]
            }
            return .object(object)
        }
    }

    /// Schema fields and column lineage of a target table, from the pipeline.
    private func columns(of table: String) -> ([CanonicalJSON], [String: CanonicalJSON])? {
        guard let pipeline, let path = record.inputs.first?.path else { return nil }
        let definition = pipeline.definition
        var schema: [CanonicalJSON] = []
        var lineage: [String: CanonicalJSON] = [:]
        // Record-level fields feed the identity and clinical targets; row groups their own tables.
        let sources = [(definition.fields, definition.target.clinical?.description)]
            + definition.rows.map { ($0.fields, Optional($0.table.description)) }
        for (fields, clinicalTable) in sources {
        for field in fields {
            let transformation: [String: CanonicalJSON]
            let column: String
            let type: String
            if table == definition.target.identity?.description, clinicalTable == definition.target.clinical?.description,
               let identity = field.identityColumn {
                column = identity
                type = "bytea"
                transformation = ["type": "DIRECT", "subtype": "TRANSFORMATION", "masking": true,
                                  "description": "AES-256-GCM, bound to table, column and surrogate key"]
            } else if table == clinicalTable, let clinical = field.clinical,
                      let derivation = field.effectiveDerivation {
                column = clinical.column
                type = "text"
                switch derivation {
                case .copy:
                    transformation = ["type": "DIRECT", "subtype": "IDENTITY", "masking": false]
                case .datetime, .number:
                    transformation = ["type": "DIRECT", "subtype": "TRANSFORMATION", "masking": false,
                                      "description": .string("converted: \(derivation.rawValue)")]
                case .pseudonym:
                    transformation = ["type": "DIRECT", "subtype": "TRANSFORMATION", "masking": true,
                                      "description": "keyed one-way pseudonym (HMAC-SHA-256)"]
                case .year, .zip3:
                    transformation = ["type": "DIRECT", "subtype": "TRANSFORMATION", "masking": true,
                                      "description": .string("generalised: \(derivation.rawValue)")]
                }
            } else {
                continue
            }
            schema.append(["name": .string(column), "type": .string(type)])
            lineage[column] = ["inputFields": [[
                "namespace": "file", "name": .string(path), "field": .string(field.name),
                "transformations": [.object(transformation)],
            ]]]
        }
        }
        return schema.isEmpty ? nil : (schema, lineage)
    }

    private func facet(_ spec: String, _ members: [String: CanonicalJSON]) -> CanonicalJSON {
        let name = String(spec.split(separator: "/").last!)
        var object = members
        object["_producer"] = .string(Self.producer)
        object["_schemaURL"] = .string("\(Self.facetSpec)\(spec).json#/$defs/\(name)")
        return .object(object)
    }

    private func facet(custom name: String, _ members: [String: CanonicalJSON]) -> CanonicalJSON {
        var object = members
        object["_producer"] = .string(Self.producer)
        object["_schemaURL"] = .string("urn:clinload:facets:\(name):1")
        return .object(object)
    }
}
