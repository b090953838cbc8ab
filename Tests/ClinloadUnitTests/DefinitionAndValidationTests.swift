import ClinloadCore
@testable import ClinloadDefinitions
@testable import ClinloadValidate
import Foundation
import Testing

/// The repository's own folders, found from this file's path.
enum Repository {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let pipelines = root.appendingPathComponent("pipelines")
}

@Suite("Pipeline definitions and schema validation")
struct DefinitionAndValidationTests {
    @Test func repositoryPipelinesPassLint() throws {
        let files = DefinitionLoader.pipelineFiles(in: Repository.pipelines)
        #expect(!files.isEmpty)
        for file in files {
            let loaded = try DefinitionLoader.loadPipeline(file.path, pipelinesDirectory: Repository.pipelines)
            #expect(PipelineLint.problems(in: loaded).isEmpty)
        }
    }

    @Test func syntheaPatientsClassifiesEveryColumn() throws {
        let loaded = try DefinitionLoader.loadPipeline("synthea_patients", pipelinesDirectory: Repository.pipelines)
        #expect(loaded.schema.fieldNames.count == 25)
        #expect(Set(loaded.definition.fields.map(\.name)) == Set(loaded.schema.fieldNames))
        // No direct identifier reaches the clinical table.
        #expect(loaded.definition.fields.filter { $0.fieldClass == .directIdentifier }.allSatisfy { $0.clinical == nil })
    }

    private func pipeline(_ fields: [FieldMapping], schemaFields: [String] = ["Id", "SSN", "ZIP", "Amount"]) -> LoadedPipeline {
        let schema = TableSchema(fields: schemaFields.map { TableSchema.Field(name: $0, type: .string, constraints: .init(required: true)) })
        let definition = PipelineDefinition(
            name: "t", version: 1, source: .init(format: .csv, match: nil, schema: "s.json"),
            subject: .init(naturalKey: ["Id"], namespace: "t"),
            target: .init(identity: QualifiedTable("identity.patient")!, clinical: QualifiedTable("clinical.patient")!),
            fields: fields, quality: .init(maxRejectRatio: 0.1))
        return LoadedPipeline(definition: definition, schema: schema, pipelineURL: URL(fileURLWithPath: "/p.yaml"),
                              schemaURL: URL(fileURLWithPath: "/s.json"), pipelineBytes: [], schemaBytes: [])
    }

    private var goodFields: [FieldMapping] {
        [
            FieldMapping(name: "Id", fieldClass: .directIdentifier, identityColumn: "source_id"),
            FieldMapping(name: "SSN", fieldClass: .directIdentifier, identityColumn: "ssn"),
            FieldMapping(name: "ZIP", fieldClass: .quasiIdentifier, identityColumn: "zip", clinical: .init(column: "zip3", derive: .zip3)),
            FieldMapping(name: "Amount", fieldClass: .clinical, clinical: .init(column: "amount")),
        ]
    }

    @Test func lintAcceptsAGoodPipeline() {
        #expect(PipelineLint.problems(in: pipeline(goodFields)).isEmpty)
    }

    @Test func lintRefusesADirectIdentifierInTheClinicalTable() {
        var fields = goodFields
        fields[1].clinical = .init(column: "ssn")
        #expect(PipelineLint.problems(in: pipeline(fields)).map(\.rule).contains("direct_identifier_in_clinical_table"))
    }

    @Test func lintRefusesAnUnclassifiedSchemaField() {
        let problems = PipelineLint.problems(in: pipeline(Array(goodFields.dropLast())))
        #expect(problems.contains(.init(field: "Amount", rule: "field_not_classified")))
    }

    @Test func lintRefusesAQuasiIdentifierWithoutAStatedGeneralisation() {
        var fields = goodFields
        fields[2].clinical = .init(column: "zip")
        #expect(PipelineLint.problems(in: pipeline(fields)).map(\.rule).contains("quasi_identifier_without_derive"))
    }

    @Test func lintRefusesAFieldWithNoDestination() {
        var fields = goodFields
        fields[3].clinical = nil
        #expect(PipelineLint.problems(in: pipeline(fields)).map(\.rule).contains("field_has_no_destination"))
    }

    @Test func headerCheckNamesTheUnclassifiedColumnFirst() throws {
        let schema = TableSchema(fields: [.init(name: "Id", type: .string), .init(name: "SSN", type: .string)])
        let error = #expect(throws: ClinloadError.self) {
            try RecordValidator.checkHeader(["Id", "SSN", "NICKNAME"], schema: schema, classified: ["Id", "SSN"], file: "f.csv")
        }
        #expect(error?.code == .unclassifiedField)
        #expect(error?.location.field == "NICKNAME")
        #expect(error?.description.contains("NICKNAME") == true)
        let order = #expect(throws: ClinloadError.self) {
            try RecordValidator.checkHeader(["SSN", "Id"], schema: schema, classified: ["Id", "SSN"], file: "f.csv")
        }
        #expect(order?.code == .headerMismatch)
        let three = TableSchema(fields: ["Id", "SSN", "FIRST"].map { .init(name: $0, type: .string) })
        let missing = #expect(throws: ClinloadError.self) {
            try RecordValidator.checkHeader(["Id", "FIRST"], schema: three, classified: ["Id", "SSN", "FIRST"], file: "f.csv")
        }
        #expect(missing?.location.field == "SSN")
    }

    @Test func aFileWithoutHeaderNeverQuotesItsFirstRecord() throws {
        let schema = TableSchema(fields: ["Id", "SSN", "FIRST"].map { .init(name: $0, type: .string) })
        let firstRecord = ["3edac2e3-d223-6fae-d515-daf96ef6bc76", "999-17-5017", "Maynard46"]
        let error = #expect(throws: ClinloadError.self) {
            try RecordValidator.checkHeader(firstRecord, schema: schema, classified: ["Id", "SSN", "FIRST"], file: "f.csv")
        }
        #expect(error?.code == .headerMismatch)
        let text = error.map { "\($0)" } ?? ""
        #expect(text.contains("matching_names=0"))
        for value in firstRecord { #expect(!text.contains(value)) }
    }

    private func violation(_ field: TableSchema.Field, _ value: String) throws -> String? {
        let validator = try FieldValidator(field, missingValues: [""])
        var bytes = Array(value.utf8)
        return bytes.withUnsafeMutableBufferPointer { validator.violation(UnsafeBufferPointer($0)) }
    }

    @Test func typesAndConstraints() throws {
        let date = TableSchema.Field(name: "d", type: .date, constraints: .init(required: true))
        #expect(try violation(date, "2024-02-29") == nil)
        #expect(try violation(date, "2023-02-29") == "type")
        #expect(try violation(date, "1970-13-45") == "type")
        #expect(try violation(date, "") == "required")
        let optional = TableSchema.Field(name: "o", type: .date)
        #expect(try violation(optional, "") == nil)
        let ssn = TableSchema.Field(name: "s", type: .string, constraints: .init(pattern: "\\d{3}-\\d{2}-\\d{4}"))
        #expect(try violation(ssn, "999-12-3456") == nil)
        #expect(try violation(ssn, "999-12-34567") == "pattern")   // anchored
        #expect(try violation(ssn, "x999-12-3456") == "pattern")
        let number = TableSchema.Field(name: "n", type: .number, constraints: .init(minimum: -90, maximum: 90))
        #expect(try violation(number, "42.36877442769006") == nil)
        #expect(try violation(number, "-71.1") == nil)
        #expect(try violation(number, "91.5") == "maximum")
        #expect(try violation(number, "1e3") == "maximum")
        #expect(try violation(number, "abc") == "type")
        #expect(try violation(number, "NaN") == "type")
        let integer = TableSchema.Field(name: "i", type: .integer)
        #expect(try violation(integer, "-12") == nil)
        #expect(try violation(integer, "99999999999999999999") == "type")
        let sex = TableSchema.Field(name: "g", type: .string, constraints: .init(enum: ["M", "F"]))
        #expect(try violation(sex, "F") == nil)
        #expect(try violation(sex, "X") == "enum")
        let name = TableSchema.Field(name: "f", type: .string, constraints: .init(maxLength: 4))
        #expect(try violation(name, "Zoë") == nil)        // 3 characters, 4 bytes
        #expect(try violation(name, "Zoëyy") == "max_length")
        let id = TableSchema.Field(name: "id", type: .string, format: "uuid")
        #expect(try violation(id, "3edac2e3-d223-6fae-d515-daf96ef6bc76") == nil)
        #expect(try violation(id, "3edac2e3d2236fae-d515-daf96ef6bc76x") == "format")
        let stamp = TableSchema.Field(name: "t", type: .datetime)
        #expect(try violation(stamp, "2014-10-06T05:43:46Z") == nil)
        #expect(try violation(stamp, "2014-10-06T25:43:46Z") == "type")
    }

    @Test func invalidPatternIsASchemaError() {
        #expect(throws: ClinloadError.self) { _ = try PosixPattern("(unclosed") }
    }
}

@Suite("Batch lifecycle, canonical JSON, errors")
struct CoreVocabularyTests {
    @Test func batchStateMachine() {
        #expect(BatchState.registered.after(.start) == .running)
        #expect(BatchState.running.after(.complete) == .loaded)
        #expect(BatchState.running.after(.reject) == .rejected)
        #expect(BatchState.running.after(.fail) == .failed)
        // An ended batch never moves again.
        for state in BatchState.allCases where state.isTerminal {
            for event in [BatchState.Event.start, .complete, .reject, .fail] { #expect(state.after(event) == nil) }
        }
        #expect(BatchState.registered.after(.complete) == nil)
        // Only a loaded batch is superseded (by a reload of its input), and only once.
        #expect(BatchState.loaded.after(.supersede) == .superseded)
        for state in BatchState.allCases where state != .loaded { #expect(state.after(.supersede) == nil) }
    }

    @Test func canonicalJSONSortsKeysAndEscapes() {
        let value: CanonicalJSON = ["b": 1, "a": ["x": true, "c": .null], "s": "q\"\n\u{01}"]
        #expect(value.text == #"{"a":{"c":null,"x":true},"b":1,"s":"q\"\n\u0001"}"#)
    }

    @Test func errorsPrintCodesAndPlacesOnly() {
        let error = ClinloadError(.headerMismatch, stage: .validate, "the header does not match the schema",
                                  location: .init(file: "p.csv", line: 1, field: "SSN", rule: "header"))
        #expect(error.description == "header_mismatch [validate] — the header does not match the schema — file p.csv, line 1, field SSN, rule header")
        #expect(error.exitStatus == .dataError)
    }
}
