import ClinloadCore
import ClinloadDefinitions

/// An extract spec checked against the catalog and the profile: every column is
/// known, allowed, and has its stated transform. Free-text columns asked for are
/// left out unless the spec scrubs them; either way the manifest says so.
struct ExtractPlan {
    struct Column {
        var name: String
        var outputName: String
        var kind: ExtractCatalog.Kind
        var transform: String
    }

    struct Table {
        var name: String
        var source: String
        var file: String { "\(name).csv" }
        var columns: [Column]
        var outputNames: [String] { columns.map(\.outputName) }
        /// Columns asked for and not released, with why.
        var omitted: [(column: String, reason: String)]
    }

    let tables: [Table]

    init(spec: ExtractSpec, rules: DeidRules) throws {
        let safeHarbor = spec.profile == .safeHarbor
        tables = try spec.tables.map { table in
            guard table.from == "patient" || ExtractCatalog.eventTables[table.from] != nil else {
                throw ClinloadError(.pipelineInvalid, stage: .configuration,
                                    "unknown extract source (patient, encounter, condition, observation, medication)",
                                    location: .init(field: table.name, rule: "source"), attributes: [("from", table.from)])
            }
            var columns: [Column] = []
            var omitted: [(String, String)] = []
            for name in table.columns {
                guard let kind = ExtractCatalog.kind(source: table.from, column: name) else {
                    throw ClinloadError(.pipelineInvalid, stage: .configuration, "the extract asks for a column clinload does not release",
                                        location: .init(field: "\(table.name).\(name)", rule: "unknown_column"))
                }
                switch kind {
                case .refused(let why):
                    throw ClinloadError(.pipelineInvalid, stage: .configuration, why, location: .init(field: "\(table.name).\(name)", rule: "not_released"))
                case .freeText where rules.freeText == .drop:
                    omitted.append((name, rules.freeText.manifestNote))
                case .freeText:
                    columns.append(Column(name: name, outputName: name, kind: kind, transform: rules.freeText.manifestNote))
                case .patientDerived where safeHarbor && ExtractCatalog.limitedDataSetOnly.contains(name):
                    throw ClinloadError(.pipelineInvalid, stage: .configuration,
                                        "a Safe Harbor extract cannot carry this column (ask for birth_year, age or zip3)",
                                        location: .init(field: "\(table.name).\(name)", rule: "limited_data_set_only"))
                case .eventDate:
                    let output = safeHarbor ? String(name.dropLast("_time".count)) + "_year" : name
                    columns.append(Column(name: name, outputName: output, kind: kind, transform: safeHarbor ? "year" : "keep"))
                case .patientDerived:
                    columns.append(Column(name: name, outputName: name, kind: kind, transform: rules.transform(of: name)))
                case .keep:
                    columns.append(Column(name: name, outputName: name, kind: kind, transform: "keep"))
                }
            }
            return Table(name: table.name, source: table.from, columns: columns, omitted: omitted)
        }
    }
}
