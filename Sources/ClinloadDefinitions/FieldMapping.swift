import ClinloadCore

/// The classification and routing of one source field.
public struct FieldMapping: Sendable, Equatable {
    public var name: String
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
        self.fieldClass = fieldClass
        self.identityColumn = identityColumn
        self.clinical = clinical
        self.drop = drop
    }

    /// Where a field goes in the clinical table and how it is generalised first.
    public struct ClinicalTarget: Sendable, Equatable, Codable {
        public var column: String
        public var derive: Derivation?

        public init(column: String, derive: Derivation? = nil) {
            self.column = column
            self.derive = derive
        }
    }

    /// Generalisations applied before a value reaches a clinical table.
    public enum Derivation: String, Sendable, Codable, CaseIterable {
        /// The value as it is (allowed for quasi-identifiers only when written out).
        case copy
        /// The year of a date or datetime.
        case year
        /// The first three digits of a ZIP code.
        case zip3
    }

    /// The derivation in force: clinical fields default to `copy`.
    public var effectiveDerivation: Derivation? {
        guard let clinical else { return nil }
        return clinical.derive ?? (fieldClass == .clinical ? .copy : nil)
    }
}

extension FieldMapping: Codable {
    enum CodingKeys: String, CodingKey {
        case name
        case fieldClass = "class"
        case identity
        case clinical
        case drop
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
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
        try c.encode(fieldClass, forKey: .fieldClass)
        try c.encodeIfPresent(identityColumn, forKey: .identity)
        try c.encodeIfPresent(clinical, forKey: .clinical)
        if drop { try c.encode(true, forKey: .drop) }
    }
}
