/// The one error type clinload shows to people and machines.
///
/// It is built so that it cannot carry a record value: every field is a code, a
/// stage, a location (file, line, record ordinal), a field *name*, a rule name, a
/// SQLSTATE or an object name. Free text comes only from clinload's own string
/// literals (`StaticString`), never from input or from a library message.
public struct ClinloadError: Error, Sendable, CustomStringConvertible {
    public var code: Code
    public var stage: Stage
    public var location: Location
    /// A short explanation written by clinload itself (never interpolated with data).
    public var hint: StaticString
    /// Safe diagnostic attributes (SQLSTATE, constraint, table, key id, path...).
    public var attributes: [(String, String)]

    public init(
        _ code: Code, stage: Stage, _ hint: StaticString = "",
        location: Location = Location(), attributes: [(String, String)] = []
    ) {
        self.code = code
        self.stage = stage
        self.hint = hint
        self.location = location
        self.attributes = attributes
    }

    public var description: String {
        var parts = ["\(code.rawValue) [\(stage.rawValue)]"]
        let hintText = "\(hint)"
        if !hintText.isEmpty { parts.append(hintText) }
        let loc = location.description
        if !loc.isEmpty { parts.append(loc) }
        for (key, value) in attributes { parts.append("\(key)=\(value)") }
        return parts.joined(separator: " — ")
    }

    /// The exit status a command should end with when this error stops it.
    public var exitStatus: ExitStatus { code.exitStatus }
}

extension ClinloadError {
    /// Where in the input (or the configuration) an error was found.
    public struct Location: Sendable, CustomStringConvertible {
        public var file: String?
        public var line: Int?
        public var record: Int?
        public var field: String?
        public var rule: String?

        public init(file: String? = nil, line: Int? = nil, record: Int? = nil, field: String? = nil, rule: String? = nil) {
            self.file = file
            self.line = line
            self.record = record
            self.field = field
            self.rule = rule
        }

        public var description: String {
            var parts: [String] = []
            if let file { parts.append("file \(file)") }
            if let line { parts.append("line \(line)") }
            if let record { parts.append("record \(record)") }
            if let field { parts.append("field \(field)") }
            if let rule { parts.append("rule \(rule)") }
            return parts.joined(separator: ", ")
        }
    }

    /// The stage of the flow an error belongs to.
    public enum Stage: String, Sendable {
        case configuration, register, extract, validate, transform, protect, load, commit, database, keys, cli
    }

    /// Machine-readable error codes. A struct over strings (not an enum) so later
    /// releases can add codes without breaking anyone matching on them.
    public struct Code: Hashable, Sendable {
        public let rawValue: String
        public let exitStatus: ExitStatus
        public init(_ rawValue: String, exit: ExitStatus) {
            self.rawValue = rawValue
            self.exitStatus = exit
        }
        public static func == (a: Code, b: Code) -> Bool { a.rawValue == b.rawValue }
        public func hash(into hasher: inout Hasher) { hasher.combine(rawValue) }

        // configuration
        public static let pipelineInvalid = Code("pipeline_invalid", exit: .configuration)
        public static let schemaInvalid = Code("schema_invalid", exit: .configuration)
        public static let keyFileInsecure = Code("key_file_insecure", exit: .configuration)
        public static let keyUriInvalid = Code("key_uri_invalid", exit: .configuration)
        public static let targetMismatch = Code("target_mismatch", exit: .configuration)
        public static let databaseSetup = Code("database_setup", exit: .configuration)
        public static let plaintextRefused = Code("plaintext_refused", exit: .configuration)
        public static let usage = Code("usage", exit: .usage)
        // data
        public static let unclassifiedField = Code("unclassified_field", exit: .dataError)
        public static let headerMismatch = Code("header_mismatch", exit: .dataError)
        public static let malformedCSV = Code("malformed_csv", exit: .dataError)
        /// Not well-formed XML (including a truncated file): the whole file is refused.
        public static let malformedXML = Code("malformed_xml", exit: .dataError)
        /// XML that could make a parser reach outside the file (DOCTYPE, ENTITY).
        public static let unsafeXML = Code("unsafe_xml", exit: .dataError)
        public static let invalidUTF8 = Code("invalid_utf8", exit: .dataError)
        public static let rejectRatioExceeded = Code("reject_ratio_exceeded", exit: .dataError)
        public static let emptyInput = Code("empty_input", exit: .dataError)
        public static let inputUnreadable = Code("input_unreadable", exit: .dataError)
        /// A replay found other bytes than the batch recorded.
        public static let inputChanged = Code("input_changed", exit: .dataError)
        // keys
        public static let keyUnavailable = Code("key_unavailable", exit: .unavailable)
        public static let keyUnwrapFailed = Code("key_unwrap_failed", exit: .dataError)
        public static let decryptionFailed = Code("decryption_failed", exit: .dataError)
        /// The data key was destroyed on purpose (crypto-shredding).
        public static let keyShredded = Code("key_shredded", exit: .dataError)
        public static let cryptoFailure = Code("crypto_failure", exit: .software)
        // database
        public static let databaseUnavailable = Code("database_unavailable", exit: .unavailable)
        public static let databaseError = Code("database_error", exit: .software)
        /// The server is out of disk space, memory or connections (SQLSTATE class 53):
        /// an operator's fix, then a rerun; not a bug.
        public static let databaseOutOfResources = Code("database_out_of_resources", exit: .unavailable)
        public static let lockHeld = Code("lock_held", exit: .temporaryFailure)
        /// A batch whose process stopped mid-way (found on a later run).
        public static let interrupted = Code("interrupted", exit: .temporaryFailure)
        /// A batch stopped on request (SIGTERM / SIGINT): rolled back, can be replayed.
        public static let cancelled = Code("cancelled", exit: .temporaryFailure)
        // output
        public static let outputUnwritable = Code("output_unwritable", exit: .cannotCreate)
        /// The release gate (or k-anonymity) stopped a research extract: nothing was released.
        public static let releaseBlocked = Code("release_blocked", exit: .dataError)
        // internal
        public static let internalError = Code("internal_error", exit: .software)
    }
}
