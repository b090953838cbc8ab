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
        let definition = pipeline.definition
        let schemaFields = Set(pipeline.schema.fieldNames)
        var problems: [Problem] = []
        func add(_ rule: String, _ field: String? = nil) { problems.append(Problem(field: field, rule: rule)) }

        if !QualifiedTable.isPlainIdentifier(definition.name) { add("name_not_identifier") }
        if definition.version < 1 { add("version_not_positive") }
        if !(0...1).contains(definition.quality.maxRejectRatio) { add("max_reject_ratio_out_of_range") }
        if definition.subject.naturalKey.isEmpty { add("natural_key_empty") }

        var seen = Set<String>()
        var identityColumns = Set<String>()
        var clinicalColumns = Set<String>()
        for field in definition.fields {
            if !seen.insert(field.name).inserted { add("field_listed_twice", field.name) }
            if !schemaFields.contains(field.name) { add("field_not_in_schema", field.name) }
            let routed = field.identityColumn != nil || field.clinical != nil
            if field.drop && routed { add("dropped_field_is_routed", field.name) }
            if !field.drop && !routed { add("field_has_no_destination", field.name) }
            if let column = field.identityColumn {
                if !QualifiedTable.isPlainIdentifier(column) { add("identity_column_not_identifier", field.name) }
                if !identityColumns.insert(column).inserted { add("identity_column_used_twice", field.name) }
                // Minimum necessary: clinical facts have no business in the vault.
                if field.fieldClass == .clinical || field.fieldClass == .operational {
                    add("non_identifier_in_vault", field.name)
                }
            }
            if let clinical = field.clinical {
                if !QualifiedTable.isPlainIdentifier(clinical.column) { add("clinical_column_not_identifier", field.name) }
                if !clinicalColumns.insert(clinical.column).inserted { add("clinical_column_used_twice", field.name) }
                switch field.fieldClass {
                case .directIdentifier:
                    add("direct_identifier_in_clinical_table", field.name)
                case .quasiIdentifier:
                    // A quasi-identifier reaches clinical tables only through a stated
                    // generalisation (or an explicit, reviewable `copy`).
                    if clinical.derive == nil { add("quasi_identifier_without_derive", field.name) }
                case .operational:
                    add("operational_field_in_clinical_table", field.name)
                case .clinical:
                    if let derive = clinical.derive, derive != .copy { add("clinical_field_generalised", field.name) }
                }
            }
        }
        // Default deny: every schema field must be classified.
        for name in pipeline.schema.fieldNames where !seen.contains(name) { add("field_not_classified", name) }
        for key in definition.subject.naturalKey {
            guard let mapping = definition.mapping(for: key) else { add("natural_key_not_a_field", key); continue }
            if mapping.fieldClass != .directIdentifier { add("natural_key_not_direct_identifier", key) }
            if pipeline.schema.fields.first(where: { $0.name == key })?.constraints.required != true {
                add("natural_key_not_required", key)
            }
        }
        for key in pipeline.schema.primaryKey where !schemaFields.contains(key) { add("primary_key_not_a_field", key) }
        for field in pipeline.schema.fields {
            if let format = field.format, field.type == .string, !["default", "uuid", "email"].contains(format) {
                add("unknown_string_format", field.name)
            }
        }
        return problems
    }
}
