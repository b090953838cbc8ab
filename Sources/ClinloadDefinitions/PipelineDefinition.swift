import ClinloadCore

/// One feed's pipeline, as written in `pipelines/*.yaml`.
///
/// The file is the contract for a feed: which files belong to it, the schema they
/// must match, whose record each row is (the natural key), and — for every source
/// field, without exception — its classification and where it may go.
public struct PipelineDefinition: Sendable, Equatable {
    public var name: String
    public var version: Int
    public var description: String?
    public var source: Source
    public var subject: Subject
    public var target: Target
    /// CSV: every column. XML: the record-level fields (one value per record).
    public var fields: [FieldMapping]
    /// XML: repeating groups; each match of a group's `each` path is one row.
    public var rows: [RowGroup]
    /// XML: parts of a record deliberately not loaded, with the reason.
    public var drop: [DroppedPart]
    public var quality: Quality

    public struct Subject: Sendable, Equatable {
        /// Source fields whose normalised values identify the subject (patient).
        public var naturalKey: [String]
        /// The assigning authority of the natural key, folded into the blind index so
        /// equal record numbers from different systems never collide.
        public var namespace: String
        public var mode: Mode
        /// What happens when one file names the same patient twice.
        public var onRepeat: Repeat

        public enum Mode: String, Sendable, Codable {
            /// The feed carries the patient's identity and upserts the vault.
            case defines
            /// Records point at a patient already in the vault; unknown ones are quarantined.
            case reference
            /// Reference data about no patient (organisations, providers, payers).
            case none
        }

        public enum Repeat: String, Sendable, Codable {
            /// The later record is quarantined (rule `unique`): a patient file lists each patient once.
            case quarantine
            /// The latest record wins: message feeds send an admission, then updates.
            case latest
        }

        public init(naturalKey: [String], namespace: String, mode: Mode = .defines, onRepeat: Repeat = .quarantine) {
            self.naturalKey = naturalKey
            self.namespace = namespace
            self.mode = mode
            self.onRepeat = onRepeat
        }
    }

    public struct Target: Sendable, Equatable, Codable {
        /// The vault table (`identity.patient`): written in `defines` mode, looked up in `reference` mode.
        public var identity: QualifiedTable?
        /// CSV: the table receiving each record's clinical fields. XML: patient-level clinical fields.
        public var clinical: QualifiedTable?

        public init(identity: QualifiedTable?, clinical: QualifiedTable?) {
            self.identity = identity
            self.clinical = clinical
        }
    }

    /// A repeating part of an XML record (PV1, DG1, OBX, a CDA section's entries).
    public struct RowGroup: Sendable, Equatable, Codable {
        public var name: String
        public var table: QualifiedTable
        /// Path (from the record element) whose every match is one row.
        public var each: String
        /// Paths relative to the matched element.
        public var fields: [FieldMapping]
    }

    /// A part of a record that is not loaded, said out loud so a reviewer sees it.
    public struct DroppedPart: Sendable, Equatable, Codable {
        public var path: String
        public var fieldClass: FieldClass
        public var reason: String

        enum CodingKeys: String, CodingKey {
            case path, reason
            case fieldClass = "class"
        }
    }

    public struct Quality: Sendable, Equatable, Codable {
        /// Above this share of quarantined records the batch is rejected and nothing
        /// is merged.
        public var maxRejectRatio: Double

        public init(maxRejectRatio: Double) { self.maxRejectRatio = maxRejectRatio }

        enum CodingKeys: String, CodingKey { case maxRejectRatio = "max_reject_ratio" }
    }

    public init(
        name: String, version: Int, description: String? = nil, source: Source, subject: Subject,
        target: Target, fields: [FieldMapping], rows: [RowGroup] = [], drop: [DroppedPart] = [], quality: Quality
    ) {
        self.name = name
        self.version = version
        self.description = description
        self.source = source
        self.subject = subject
        self.target = target
        self.fields = fields
        self.rows = rows
        self.drop = drop
        self.quality = quality
    }

    /// The mapping of a source field, if the pipeline classifies it.
    public func mapping(for field: String) -> FieldMapping? {
        fields.first { $0.name == field }
    }
}

extension PipelineDefinition: Codable {
    enum CodingKeys: String, CodingKey {
        case name, version, description, source, subject, target, fields, rows, drop, quality
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        version = try c.decode(Int.self, forKey: .version)
        description = try c.decodeIfPresent(String.self, forKey: .description)
        source = try c.decode(Source.self, forKey: .source)
        subject = try c.decode(Subject.self, forKey: .subject)
        // Message feeds repeat patients by nature (an admission, then updates);
        // patient files must not.
        let subjectKeys = try c.nestedContainer(keyedBy: Subject.CodingKeys.self, forKey: .subject)
        if source.isXML, !subjectKeys.contains(.onRepeat) { subject.onRepeat = .latest }
        target = try c.decode(Target.self, forKey: .target)
        fields = try c.decodeIfPresent([FieldMapping].self, forKey: .fields) ?? []
        rows = try c.decodeIfPresent([RowGroup].self, forKey: .rows) ?? []
        drop = try c.decodeIfPresent([DroppedPart].self, forKey: .drop) ?? []
        quality = try c.decodeIfPresent(Quality.self, forKey: .quality) ?? Quality(maxRejectRatio: 0)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(version, forKey: .version)
        try c.encodeIfPresent(description, forKey: .description)
        try c.encode(source, forKey: .source)
        try c.encode(subject, forKey: .subject)
        try c.encode(target, forKey: .target)
        try c.encode(fields, forKey: .fields)
        if !rows.isEmpty { try c.encode(rows, forKey: .rows) }
        if !drop.isEmpty { try c.encode(drop, forKey: .drop) }
        try c.encode(quality, forKey: .quality)
    }
}

extension PipelineDefinition.Subject: Codable {
    public enum CodingKeys: String, CodingKey {
        case naturalKey = "natural_key"
        case namespace, mode
        case onRepeat = "on_repeat"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        naturalKey = try c.decodeIfPresent([String].self, forKey: .naturalKey) ?? []
        namespace = try c.decodeIfPresent(String.self, forKey: .namespace) ?? ""
        mode = try c.decodeIfPresent(Mode.self, forKey: .mode) ?? .defines
        onRepeat = try c.decodeIfPresent(Repeat.self, forKey: .onRepeat) ?? .quarantine
    }
}
