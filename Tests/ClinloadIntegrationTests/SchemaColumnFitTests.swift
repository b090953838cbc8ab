import ClinloadDefinitions
import ClinloadPostgres
import Testing

/// Every value a repository schema lets through must fit the column the pipeline
/// copies it into: PostgreSQL refusing one fails the whole batch (SQLSTATE 22003
/// or 22P02) where the record alone should have been quarantined. So an integer
/// copied into an `integer` column must be bounded to 32 bits by its schema, and
/// a decimal number must never go into an integer column. Checked against the
/// column types of the real migrated database.
@Suite("Schemas fit their columns")
struct SchemaColumnFitTests {
    @Test func copiedNumbersFitTheirColumnTypes() throws {
        try TestStore.withConnection { connection in
            var problems: [String] = []
            for file in DefinitionLoader.pipelineFiles(in: Repository.pipelines) {
                let loaded = try DefinitionLoader.loadPipeline(file.path, pipelinesDirectory: Repository.pipelines)
                guard loaded.definition.source.format == .csv, let table = loaded.definition.target.clinical else { continue }
                let types = try connection.query("""
                    SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2
                    """, [.text(table.schema), .text(table.table)])
                var columnType: [String: String] = [:]
                for r in 0..<types.rowCount { columnType[types.string(r, 0)!] = types.string(r, 1)! }
                for field in loaded.definition.fields where field.effectiveDerivation == .copy {
                    guard let column = field.clinical?.column, let type = columnType[column],
                          let schemaField = loaded.schema.fields.first(where: { $0.name == field.name }) else { continue }
                    let c = schemaField.constraints
                    let where_ = "\(loaded.definition.name): \(field.name) → \(table).\(column) (\(type))"
                    switch (type, schemaField.type) {
                    case ("integer", .integer):
                        let bounded = (c.enum?.allSatisfy { Int32($0) != nil } ?? false)
                            || ((c.minimum ?? -.infinity) >= Double(Int32.min) && (c.maximum ?? .infinity) <= Double(Int32.max))
                        if !bounded { problems.append("\(where_): no 32-bit bounds in the schema") }
                    case ("integer", .number), ("bigint", .number):
                        problems.append("\(where_): a decimal number into an integer column")
                    default:
                        break
                    }
                }
            }
            #expect(problems.isEmpty, "\(problems)")
        }
    }
}
