import ClinloadCore
import ClinloadXML

/// Cuts a streaming XML feed into records (messages, documents) and builds each
/// record's tree, attributing schema-validity problems to the record they occur in.
///
/// Layout understood: the root is a record, or an envelope element (a batch
/// wrapper) whose children are records, further envelope elements, or fields of
/// an envelope segment (`FHS.1` under `FHS`, skipped). Anything else met where a
/// record could be is a record of a structure the pipeline does not take: it is
/// still counted and quarantined (rule `unsupported_structure`), never skipped.
public final class XMLRecordAssembler {
    public struct Plan: Sendable {
        public var namespace: String
        public var records: Set<String>
        public var envelope: Set<String>

        public init(namespace: String, records: Set<String>, envelope: Set<String>) {
            self.namespace = namespace
            self.records = records
            self.envelope = envelope
        }
    }

    /// What the engine needs to know about a completed record besides its tree.
    public struct RecordInfo: Sendable {
        public var ordinal: Int
        public var line: Int
        public var byteOffset: Int
        public var rootName: String
        /// Why the record cannot be loaded whatever its content (structure, namespace, schema).
        public var reasons: [QuarantineReason]
    }

    /// At most this many schema problems are kept per record: enough to act on,
    /// bounded for a record that is wrong everywhere.
    public static let maxReasonsPerRecord = 20

    // The assembler is used by one thread and its state is touched per XML
    // event: dynamic exclusivity checks on it measured several percent of a load.
    let reader: XMLStreamReader
    let plan: Plan
    public let names: XMLNameTable
    let file: String
    @exclusivity(unchecked) private var ordinal = 0
    /// Envelope elements open above the current position (local names).
    @exclusivity(unchecked) private var envelopeStack: [String] = []
    @exclusivity(unchecked) private var skipDepth: Int?
    @exclusivity(unchecked) private var recordDepth: Int?
    @exclusivity(unchecked) private var stack: [Int32] = []
    @exclusivity(unchecked) private var info = RecordInfo(ordinal: 0, line: 0, byteOffset: 0, rootName: "", reasons: [])
    /// Validity problems met outside any record, given to the next record.
    @exclusivity(unchecked) private var envelopeReasons: [QuarantineReason] = []
    @exclusivity(unchecked) private var sawRoot = false

    public init(reader: XMLStreamReader, plan: Plan, names: XMLNameTable, file: String) {
        self.reader = reader
        self.plan = plan
        self.names = names
        self.file = file
    }

    /// Reads the next record into `tree`; nil at the end of the file. Throws on
    /// XML that is not well-formed (the whole file is refused: nothing after the
    /// break can be trusted, and nothing before it is committed).
    public func next(into tree: inout XMLRecordTree) throws -> RecordInfo? {
        while try reader.read() {
            switch reader.kind {
            case .startElement:
                if recordDepth != nil {
                    let node = tree.addElement(name: nameId(), parent: stack.last ?? -1, line: reader.line)
                    addAttributes(to: node, &tree)
                    stack.append(node)
                    collectIssues(tree)
                } else if skipDepth == nil {
                    try startOutsideRecord(&tree)
                }
            case .text:
                if recordDepth != nil, let node = stack.last {
                    reader.withText { tree.appendText(to: node, $0) }
                }
            case .endElement:
                if let depth = recordDepth {
                    collectIssues(tree)
                    stack.removeLast()
                    if reader.depth == depth {
                        recordDepth = nil
                        info.reasons = Array(info.reasons.prefix(Self.maxReasonsPerRecord))
                        return info
                    }
                } else if let depth = skipDepth {
                    if reader.depth == depth { skipDepth = nil }
                } else if !envelopeStack.isEmpty, reader.depth == envelopeStack.count - 1 {
                    envelopeStack.removeLast()
                }
                if recordDepth == nil { collectEnvelopeIssues() }
            }
        }
        if !envelopeReasons.isEmpty {
            throw ClinloadError(.malformedXML, stage: .validate, "the batch envelope around the records breaks the schema",
                                location: .init(file: file, line: envelopeReasons[0].line, field: envelopeReasons[0].field,
                                                rule: envelopeReasons[0].rule))
        }
        guard sawRoot else {
            throw ClinloadError(.emptyInput, stage: .extract, "the file holds no XML element", location: .init(file: file))
        }
        return nil
    }

    private func startOutsideRecord(_ tree: inout XMLRecordTree) throws {
        sawRoot = true
        let local = reader.localName
        if plan.envelope.contains(local), reader.namespaceURI == plan.namespace, reader.depth == envelopeStack.count {
            envelopeStack.append(local)
            collectEnvelopeIssues()
            return
        }
        if let parent = envelopeStack.last, local.hasPrefix(parent + ".") {
            skipDepth = reader.depth
            return
        }
        // A record begins.
        ordinal += 1
        recordDepth = reader.depth
        tree.reset()
        stack.removeAll(keepingCapacity: true)
        let node = tree.addElement(name: nameId(), parent: -1, line: reader.line)
        addAttributes(to: node, &tree)
        stack.append(node)
        info = RecordInfo(ordinal: ordinal, line: reader.line, byteOffset: reader.bytesConsumed, rootName: local, reasons: envelopeReasons)
        envelopeReasons.removeAll()
        if reader.namespaceURI != plan.namespace {
            info.reasons.append(QuarantineReason(field: local, rule: "wrong_namespace"))
        } else if !plan.records.contains(local) {
            info.reasons.append(QuarantineReason(field: local, rule: "unsupported_structure"))
        }
        collectIssues(tree)
    }

    /// Name ids by the reader's interned-name token (two addresses in libxml2's
    /// dictionary). A small direct-mapped table answers nearly every element and
    /// attribute without hashing (a feed has a few dozen names; hashing the token
    /// for a dictionary probe was 1.5% of the load's CPU); the dictionary holds
    /// every token met, for collisions.
    private struct TokenSlot {
        var token: XMLNameToken?
        var id: Int32
    }
    private static let tokenSlotBits = 9
    private static let tokenSlotCount = 1 << tokenSlotBits
    @exclusivity(unchecked) private var tokenSlots = ContiguousArray(repeating: TokenSlot(token: nil, id: 0), count: tokenSlotCount)
    @exclusivity(unchecked) private var idsByToken: [XMLNameToken: Int32] = [:]

    private func id(of token: XMLNameToken) -> Int32 {
        let slot = token.slot(bits: Self.tokenSlotBits)
        if tokenSlots[slot].token == token { return tokenSlots[slot].id }
        let id: Int32
        if let known = idsByToken[token] {
            id = known
        } else {
            let (local, namespace) = reader.names(of: token)
            id = names.id(namespace: namespace, local: local)
            idsByToken[token] = id
        }
        tokenSlots[slot] = TokenSlot(token: token, id: id)
        return id
    }

    private func nameId() -> Int32 { id(of: reader.nameToken) }

    private func addAttributes(to node: Int32, _ tree: inout XMLRecordTree) {
        reader.forEachAttributeToken { token, value in
            tree.addAttribute(to: node, name: id(of: token), value: value)
        }
    }

    /// Schema problems reported while reading this record's elements, each with
    /// the element path inside the record (never a value).
    private func collectIssues(_ tree: XMLRecordTree) {
        let issues = reader.takeValidityIssues()
        guard !issues.isEmpty else { return }
        let stackPath = stack.dropFirst().map { names.localName(tree.nodes[Int($0)].name) }
        for issue in issues where info.reasons.count < Self.maxReasonsPerRecord {
            var path = stackPath
            if let element = issue.element, element != (path.last ?? info.rootName) { path.append(element) }
            let field = path.isEmpty ? info.rootName : path.joined(separator: "/")
            info.reasons.append(QuarantineReason(field: field, rule: issue.rule, line: issue.line))
        }
    }

    private func collectEnvelopeIssues() {
        for issue in reader.takeValidityIssues() where envelopeReasons.count < Self.maxReasonsPerRecord {
            envelopeReasons.append(QuarantineReason(field: issue.element ?? envelopeStack.joined(separator: "/"), rule: issue.rule, line: issue.line))
        }
    }
}
