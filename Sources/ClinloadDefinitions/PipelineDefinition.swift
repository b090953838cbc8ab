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
    public var fields: [FieldMapping]
    public var quality: Quality

    public struct Source: Sendable, Equatable, Codable {
        public enum Format: String, Sendable, Codable { case csv }
        public var format: Format
        /// A glob naming the files of this feed in a drop folder (`patients*.csv`).
        public var match: String?
        /// The schema file, relative to the pipeline file.
        public var schema: String
    }

    public struct Subject: Sendable, Equatable, Codable {
        /// Source fields whose normalised values identify the subject (patient).
        public var naturalKey: [String]
        /// The assigning authority of the natural key, folded into the blind index so
        /// equal record numbers from different systems never collide.
        public var namespace: String

        enum CodingKeys: String, CodingKey {
            case naturalKey = "natural_key"
            case namespace
        }
    }

    public struct Target: Sendable, Equatable, Codable {
        /// The vault table (`identity.patient`).
        public var identity: QualifiedTable
        /// The clinical table (`clinical.patient`).
        public var clinical: QualifiedTable
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
        target: Target, fields: [FieldMapping], quality: Quality
    ) {
        self.name = name
        self.version = version
        self.description = description
        self.source = source
        self.subject = subject
        self.target = target
        self.fields = fields
        self.quality = quality
    }

    /// The mapping of a source field, if the pipeline classifies it.
    public func mapping(for field: String) -> FieldMapping? {
        fields.first { $0.name == field }
    }
}

extension PipelineDefinition: Codable {
    enum CodingKeys: String, CodingKey {
        case name, version, description, source, subject, target, fields, quality
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        version = try c.decode(Int.self, forKey: .version)
        description = try c.decodeIfPresent(String.self, forKey: .description)
        source = try c.decode(Source.self, forKey: .source)
        subject = try c.decode(Subject.self, forKey: .subject)
        target = try c.decode(Target.self, forKey: .target)
        fields = try c.decode([FieldMapping].self, forKey: .fields)
        quality = try c.decodeIfPresent(Quality.self, forKey: .quality) ?? Quality(maxRejectRatio: 0)
    }
}
