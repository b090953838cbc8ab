import ClinloadCore

/// The rules a pipeline must follow before it may touch data. Each rule exists
/// because breaking it would leak identifiers or lose records silently.
public enum PipelineLint {
    public struct Problem: Sendable, Equatable, CustomStringConvertible {
        public var field: String?
        public var rule: String
        public var description: String { field.map { "\(rule): \($0)" } ?? rule }
    }

    public static func problems(in pipeline: LoadedPipeline) -> [Problem] {
        var problems: [Problem] = []
        func add(_ rule: String, _ field: String? = nil) { problems.append(Problem(field: field, rule: rule)) }
        let definition = pipeline.definition
        let subject = definition.subject

        if !QualifiedTable.isPlainIdentifier(definition.name) { add("name_not_identifier") }
        if definition.version < 1 { add("version_not_positive") }
        if !(0...1).contains(definition.quality.maxRejectRatio) { add("max_reject_ratio_out_of_range") }
        switch subject.mode {
        case .defines, .reference:
            if subject.naturalKey.isEmpty { add("natural_key_empty") }
            if definition.target.identity == nil { add("identity_target_missing") }
            if subject.mode == .defines, definition.target.clinical == nil { add("clinical_target_missing") }
        case .none:
            if !subject.naturalKey.isEmpty { add("natural_key_without_subject") }
        }

        var names = Set<String>()
        var identityColumns = Set<String>()
        var clinicalColumns = Set<String>()
        for field in definition.fields {
            if !names.insert(field.name).inserted { add("field_listed_twice", field.name) }
            check(field, mode: subject.mode, identityColumns: &identityColumns, clinicalColumns: &clinicalColumns, add: add)
        }

        if definition.source.isXML {
            problems += xmlProblems(definition)
        } else {
            let schemaFields = Set(pipeline.schema.fieldNames)
            for field in definition.fields where !schemaFields.contains(field.name) { add("field_not_in_schema", field.name) }
            for field in definition.fields where field.path != nil { add("path_in_csv_pipeline", field.name) }
            if !definition.rows.isEmpty || !definition.drop.isEmpty { add("rows_or_drop_in_csv_pipeline") }
            if definition.target.clinical == nil { add("clinical_target_missing") }
            // Default deny: every column must be classified.
            for name in pipeline.schema.fieldNames where !names.contains(name) { add("field_not_classified", name) }
            for field in pipeline.schema.fields {
                if let format = field.format, field.type == .string, !["default", "uuid", "email"].contains(format) {
                    add("unknown_string_format", field.name)
                }
            }
            for key in pipeline.schema.primaryKey where !schemaFields.contains(key) { add("primary_key_not_a_field", key) }
        }

        for key in subject.naturalKey {
            guard let mapping = definition.mapping(for: key) else { add("natural_key_not_a_field", key); continue }
            if mapping.fieldClass != .directIdentifier { add("natural_key_not_direct_identifier", key) }
            if pipeline.schema.fields.first(where: { $0.name == key })?.constraints.required != true {
                add("natural_key_not_required", key)
            }
            // A reference feed looks the patient up; it never stores who they are.
            if subject.mode == .reference, !mapping.drop { add("reference_key_not_dropped", key) }
        }
        return problems
    }

    /// Rules for one field mapping, wherever it appears.
    static func check(
        _ field: FieldMapping, mode: PipelineDefinition.Subject.Mode,
        identityColumns: inout Set<String>, clinicalColumns: inout Set<String>, add: (String, String?) -> Void
    ) {
        let routed = field.identityColumn != nil || field.clinical != nil
        if field.drop && routed { add("dropped_field_is_routed", field.name) }
        if !field.drop && !routed { add("field_has_no_destination", field.name) }
        if let column = field.identityColumn {
            if !QualifiedTable.isPlainIdentifier(column) { add("identity_column_not_identifier", field.name) }
            if !identityColumns.insert(column).inserted { add("identity_column_used_twice", field.name) }
            // Minimum necessary: clinical facts have no business in the vault.
            if field.fieldClass == .clinical || field.fieldClass == .operational { add("non_identifier_in_vault", field.name) }
            if mode != .defines { add("identity_column_without_defines", field.name) }
        }
        guard let clinical = field.clinical else { return }
        if !QualifiedTable.isPlainIdentifier(clinical.column) { add("clinical_column_not_identifier", field.name) }
        if !clinicalColumns.insert(clinical.column).inserted { add("clinical_column_used_twice", field.name) }
        switch field.fieldClass {
        case .directIdentifier:
            // Only as a keyed one-way pseudonym: joins without the identifier.
            if clinical.derive != .pseudonym { add("direct_identifier_in_clinical_table", field.name) }
        case .quasiIdentifier:
            // A quasi-identifier reaches clinical tables only through a stated
            // generalisation (or an explicit, reviewable `copy`).
            if clinical.derive == nil { add("quasi_identifier_without_derive", field.name) }
        case .operational:
            add("operational_field_in_clinical_table", field.name)
        case .clinical:
            // Conversions are fine; generalising or pseudonymising a clinical value is a mistake.
            if let derive = clinical.derive, ![.copy, .datetime, .number].contains(derive) {
                add("clinical_field_generalised", field.name)
            }
        }
        if clinical.space != nil, clinical.derive != .pseudonym { add("space_without_pseudonym", field.name) }
    }

    static func xmlProblems(_ definition: PipelineDefinition) -> [Problem] {
        var problems: [Problem] = []
        func add(_ rule: String, _ field: String? = nil) { problems.append(Problem(field: field, rule: rule)) }
        let source = definition.source
        if source.namespace == nil { add("xml_namespace_missing") }
        // A message or document carries its patient's identity; and feeds repeat
        // patients by nature, so the latest record wins (quarantining repeats would
        // also have to withdraw their staged rows).
        if definition.subject.mode != .defines { add("xml_subject_not_defines") }
        if definition.subject.onRepeat != .latest { add("xml_on_repeat_not_latest") }
        if source.records.isEmpty { add("xml_records_missing") }
        func checkPath(_ text: String?, _ field: String) {
            guard let text else { add("xml_field_without_path", field); return }
            do { _ = try XMLPath(text) } catch { add("xml_path_\(error.rule)", field) }
        }
        if let ref = source.recordRef { checkPath(ref, "record_ref") }
        for field in definition.fields { checkPath(field.path, field.name) }
        for group in definition.rows {
            checkPath(group.each, group.name)
            var names = Set<String>()
            var unusedIdentity = Set<String>()
            var columns = Set<String>()
            for field in group.fields {
                if !names.insert(field.name).inserted { add("field_listed_twice", "\(group.name).\(field.name)") }
                checkPath(field.path, "\(group.name).\(field.name)")
                // Rows are clinical facts: identifiers in them become pseudonyms or nothing.
                if field.identityColumn != nil { add("identity_column_in_row_group", "\(group.name).\(field.name)") }
                check(field, mode: definition.subject.mode, identityColumns: &unusedIdentity, clinicalColumns: &columns) {
                    add($0, $1.map { "\(group.name).\($0)" })
                }
            }
        }
        for part in definition.drop {
            checkPath(part.path, "drop")
            if part.reason.isEmpty { add("drop_without_reason", part.path) }
        }
        return problems
    }
}
