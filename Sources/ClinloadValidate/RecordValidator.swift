import ClinloadCore
import ClinloadDefinitions

/// Validates whole records against a table schema: the header once, then every
/// value of every record, collecting machine-readable reasons (never values).
public final class RecordValidator {
    public let schema: TableSchema
    public let fields: [FieldValidator]

    public init(schema: TableSchema) throws {
        self.schema = schema
        fields = try schema.fields.map { try FieldValidator($0, missingValues: schema.missingValues) }
    }

    /// Checks a header against the schema and the pipeline: a column the pipeline
    /// does not classify is named first (default deny), then any difference in
    /// names or order.
    ///
    /// Names from the line are quoted in the error only when the line is
    /// recognisably this schema's header (at least half its names match): a file
    /// without a header has a record as its first line, and its values must never
    /// reach an error message.
    public static func checkHeader(_ header: [String], schema: TableSchema, classified: Set<String>, file: String) throws {
        let expected = schema.fieldNames
        let matching = header.filter(Set(expected).contains).count
        if matching * 2 < expected.count {
            throw ClinloadError(.headerMismatch, stage: .validate,
                                "the first line is not this schema's header (is the header missing, or is this another feed?)",
                                location: .init(file: file, line: 1, rule: "header"),
                                attributes: [("expected_columns", "\(expected.count)"), ("found_columns", "\(header.count)"),
                                             ("matching_names", "\(matching)")])
        }
        for (index, name) in header.enumerated() where !classified.contains(name) {
            throw ClinloadError(.unclassifiedField, stage: .validate,
                                "an input column is not classified by the pipeline (default deny)",
                                location: .init(file: file, line: 1, field: name, rule: "classified"),
                                attributes: [("column", "\(index + 1)")])
        }
        for (index, name) in expected.enumerated() where index >= header.count || header[index] != name {
            throw ClinloadError(.headerMismatch, stage: .validate, "the header does not match the schema",
                                location: .init(file: file, line: 1, field: name, rule: "header"),
                                attributes: [("column", "\(index + 1)"), ("expected_columns", "\(expected.count)"),
                                             ("found_columns", "\(header.count)")])
        }
        if header.count > expected.count {
            throw ClinloadError(.headerMismatch, stage: .validate, "the header has more columns than the schema",
                                location: .init(file: file, line: 1, field: header[expected.count], rule: "header"),
                                attributes: [("expected_columns", "\(expected.count)"), ("found_columns", "\(header.count)")])
        }
    }

    /// Every rule the record breaks, one reason per failing field. The record must
    /// already have the schema's field count.
    public func violations(of record: some FieldBytes) -> [QuarantineReason] {
        var reasons: [QuarantineReason] = []
        for (index, validator) in fields.enumerated() {
            if let rule = record.withField(index, validator.violation) {
                reasons.append(QuarantineReason(field: validator.field.name, rule: rule))
            }
        }
        return reasons
    }
}
