import ClinloadCore

/// The classification and routing of one source field.
public struct FieldMapping: Sendable, Equatable {
    public var name: String
    /// XML: where the value is, in the path syntax of `XMLPath` (README "XML paths").
    public var path: String?
    /// XML: a record without this value is quarantined (rule `required`). CSV
    /// fields say this in their Table Schema instead.
    public var required: Bool
    public var fieldClass: FieldClass
    /// The vault column that receives this field, encrypted.
    public var identityColumn: String?
    /// The clinical column that receives this field (or a generalised form of it).
    public var clinical: ClinicalTarget?
    /// Deliberately not stored anywhere (must be said, never implied).
    public var drop: Bool

    public init(
        name: String, fieldClass: FieldClass, identityColumn: String? = nil,
        clinical: ClinicalTarget? = nil, drop: Bool = false
    ) {
        self.name = name
        self.path = nil
        self.required = false
        self.fieldClass = fieldClass
        self.identityColumn = identityColumn
        self.clinical = clinical
        self.drop = drop
    }

    /// Where a field goes in the clinical table and how it is generalised first.
    public struct ClinicalTarget: Sendable, Equatable, Codable {
        public var column: String
        public var derive: Derivation?
        /// For `pseudonym`: values in the same space map to the same key in every
        /// table and pipeline (defaults to the column name).
        public var space: String?

        public init(column: String, derive: Derivation? = nil, space: String? = nil) {
            self.column = column
            self.derive = derive
            self.space = space
        }

        public var pseudonymSpace: String { space ?? column }
    }

    /// Generalisations applied before a value reaches a clinical table.
    public enum Derivation: String, Sendable, Codable, CaseIterable {
        /// The value as it is (allowed for quasi-identifiers only when written out).
        case copy
        /// The year of a date or datetime.
        case year
        /// The first three digits of a ZIP code.
        case zip3
        /// A keyed one-way pseudonym (a UUID from an HMAC under the store's
        /// blind-index key): record ids and visit numbers join across tables without
        /// being stored.
        case pseudonym
        /// An HL7 / CDA timestamp (or ISO 8601) as an ISO timestamp; a value that is
        /// not one quarantines the record (rule `datetime`).
        case datetime
        /// The value if it is a decimal number, else no value (beside a text column).
        case number
    }

    /// The derivation in force: clinical fields default to `copy`.
    public var effectiveDerivation: Derivation? {
        guard let clinical else { return nil }
        return clinical.derive ?? (fieldClass == .clinical ? .copy : nil)
    }
}

extension FieldMapping: Codable {
    enum CodingKeys: String, CodingKey {
        case name, path, required
        case fieldClass = "class"
        case identity
        case clinical
        case drop
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        path = try c.decodeIfPresent(String.self, forKey: .path)
        required = try c.decodeIfPresent(Bool.self, forKey: .required) ?? false
        fieldClass = try c.decode(FieldClass.self, forKey: .fieldClass)
        identityColumn = try c.decodeIfPresent(String.self, forKey: .identity)
        drop = try c.decodeIfPresent(Bool.self, forKey: .drop) ?? false
        // `clinical: column_name` is shorthand for `clinical: {column: column_name}`.
        if let column = try? c.decodeIfPresent(String.self, forKey: .clinical) {
            clinical = ClinicalTarget(column: column)
        } else {
            clinical = try c.decodeIfPresent(ClinicalTarget.self, forKey: .clinical)
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encodeIfPresent(path, forKey: .path)
        if required { try c.encode(true, forKey: .required) }
        try c.encode(fieldClass, forKey: .fieldClass)
        try c.encodeIfPresent(identityColumn, forKey: .identity)
        try c.encodeIfPresent(clinical, forKey: .clinical)
        if drop { try c.encode(true, forKey: .drop) }
    }
}
