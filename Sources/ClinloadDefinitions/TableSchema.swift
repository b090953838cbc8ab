/// A CSV schema in the Frictionless Table Schema format (the subset clinload
/// enforces), as kept in `schemas/csv/*.schema.json`.
///
/// See https://specs.frictionlessdata.io/table-schema/. Differences, on purpose:
/// `pattern` is a POSIX extended regular expression (with `\d` accepted), always
/// anchored to the whole value; the header must list exactly these fields in this
/// order (the spec leaves header matching to the tool).
public struct TableSchema: Sendable, Equatable, Codable {
    public var fields: [Field]
    /// Cell texts that mean "no value" (Frictionless default: the empty string).
    public var missingValues: [String]
    /// Fields whose combined values must be unique within one file.
    public var primaryKey: [String]

    public init(fields: [Field], missingValues: [String] = [""], primaryKey: [String] = []) {
        self.fields = fields
        self.missingValues = missingValues
        self.primaryKey = primaryKey
    }

    public var fieldNames: [String] { fields.map(\.name) }

    public struct Field: Sendable, Equatable, Codable {
        public var name: String
        public var type: FieldType
        public var format: String?
        public var description: String?
        public var constraints: Constraints

        public init(name: String, type: FieldType, format: String? = nil, constraints: Constraints = Constraints()) {
            self.name = name
            self.type = type
            self.format = format
            self.constraints = constraints
        }

        enum CodingKeys: String, CodingKey { case name, type, format, description, constraints }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            name = try c.decode(String.self, forKey: .name)
            type = try c.decodeIfPresent(FieldType.self, forKey: .type) ?? .string
            format = try c.decodeIfPresent(String.self, forKey: .format)
            description = try c.decodeIfPresent(String.self, forKey: .description)
            constraints = try c.decodeIfPresent(Constraints.self, forKey: .constraints) ?? Constraints()
        }
    }

    public enum FieldType: String, Sendable, Codable, CaseIterable {
        case string, integer, number, boolean, date, datetime, year
    }

    public struct Constraints: Sendable, Equatable, Codable {
        public var required: Bool
        public var pattern: String?
        public var `enum`: [String]?
        public var minLength: Int?
        public var maxLength: Int?
        public var minimum: Double?
        public var maximum: Double?

        public init(
            required: Bool = false, pattern: String? = nil, enum values: [String]? = nil,
            minLength: Int? = nil, maxLength: Int? = nil, minimum: Double? = nil, maximum: Double? = nil
        ) {
            self.required = required
            self.pattern = pattern
            self.enum = values
            self.minLength = minLength
            self.maxLength = maxLength
            self.minimum = minimum
            self.maximum = maximum
        }

        enum CodingKeys: String, CodingKey { case required, pattern, `enum`, minLength, maxLength, minimum, maximum }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            required = try c.decodeIfPresent(Bool.self, forKey: .required) ?? false
            pattern = try c.decodeIfPresent(String.self, forKey: .pattern)
            self.enum = try c.decodeIfPresent([String].self, forKey: .enum)
            minLength = try c.decodeIfPresent(Int.self, forKey: .minLength)
            maxLength = try c.decodeIfPresent(Int.self, forKey: .maxLength)
            minimum = try c.decodeIfPresent(Double.self, forKey: .minimum)
            maximum = try c.decodeIfPresent(Double.self, forKey: .maximum)
        }
    }
}

extension TableSchema {
    enum CodingKeys: String, CodingKey { case fields, missingValues, primaryKey }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        fields = try c.decode([Field].self, forKey: .fields)
        missingValues = try c.decodeIfPresent([String].self, forKey: .missingValues) ?? [""]
        // Frictionless allows a single field name or a list.
        if let single = try? c.decodeIfPresent(String.self, forKey: .primaryKey) {
            primaryKey = [single]
        } else {
            primaryKey = try c.decodeIfPresent([String].self, forKey: .primaryKey) ?? []
        }
    }
}
