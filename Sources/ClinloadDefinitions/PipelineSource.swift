/// Where a feed's records come from and the schema they must satisfy.
extension PipelineDefinition {
    public struct Source: Sendable, Equatable {
        public enum Format: String, Sendable, Codable {
            case csv
            case hl7v2XML = "hl7v2-xml"
            case cda
        }

        public var format: Format
        /// A glob naming the files of this feed in a drop folder (`patients*.csv`).
        public var match: String?
        /// The schema file, relative to the pipeline file: a Table Schema for CSV, an
        /// XSD for XML. `${VAR}` / `${VAR:default}` name a site-specific location.
        public var schema: String
        /// XML: the folder (relative to the schema's folder) the schema's includes may
        /// read; defaults to the schema's own folder.
        public var schemaRoot: String?
        /// HL7 v2 XML: an XSD per MSH.12 version, chosen by the file's first message.
        public var schemasByVersion: [String: String]
        /// XML: the namespace of record elements and of unprefixed path steps.
        public var namespace: String?
        /// XML: further prefixes usable in paths (`sdtc: urn:hl7-org:sdtc`).
        public var namespaces: [String: String]
        /// XML: local names of record elements (a message, a document).
        public var records: [String]
        /// XML: wrapper elements around records (batch headers); never mapped.
        public var envelope: [String]
        /// XML: a path to an operational reference for a record (MSH.10, the message
        /// control id) kept with quarantined records to find them at the sender.
        public var recordRef: String?

        public init(format: Format, match: String? = nil, schema: String) {
            self.format = format
            self.match = match
            self.schema = schema
            schemasByVersion = [:]
            namespaces = [:]
            records = []
            envelope = []
        }

        public var isXML: Bool { format != .csv }
    }
}

extension PipelineDefinition.Source: Codable {
    enum CodingKeys: String, CodingKey {
        case format, match, schema, namespace, namespaces, records, envelope
        case schemaRoot = "schema_root"
        case schemasByVersion = "schemas_by_version"
        case recordRef = "record_ref"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        format = try c.decode(Format.self, forKey: .format)
        match = try c.decodeIfPresent(String.self, forKey: .match)
        schema = try c.decode(String.self, forKey: .schema)
        schemaRoot = try c.decodeIfPresent(String.self, forKey: .schemaRoot)
        schemasByVersion = try c.decodeIfPresent([String: String].self, forKey: .schemasByVersion) ?? [:]
        namespace = try c.decodeIfPresent(String.self, forKey: .namespace)
        namespaces = try c.decodeIfPresent([String: String].self, forKey: .namespaces) ?? [:]
        records = try c.decodeIfPresent([String].self, forKey: .records) ?? []
        envelope = try c.decodeIfPresent([String].self, forKey: .envelope) ?? []
        recordRef = try c.decodeIfPresent(String.self, forKey: .recordRef)
    }
}
