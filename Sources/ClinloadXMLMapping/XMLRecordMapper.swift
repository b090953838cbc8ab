import ClinloadCore
import ClinloadDefinitions

/// Applies a pipeline's paths to one record tree: the record-level field values
/// and, per row group, one set of values per matched element. Values are ranges
/// of the tree's bytes — nothing is copied until it is encrypted or staged.
public final class XMLRecordMapper {
    public struct Group {
        public var definition: PipelineDefinition.RowGroup
        let each: CompiledXMLPath
        let paths: [CompiledXMLPath]
    }

    public let names: XMLNameTable
    public let fields: [FieldMapping]
    let paths: [CompiledXMLPath]
    public let groups: [Group]
    let recordRef: CompiledXMLPath?

    public init(definition: PipelineDefinition, names: XMLNameTable) throws {
        self.names = names
        let namespace = definition.source.namespace ?? ""
        let prefixes = definition.source.namespaces
        func compile(_ text: String?) throws -> CompiledXMLPath {
            try CompiledXMLPath(text ?? "", defaultNamespace: namespace, prefixes: prefixes, names: names)
        }
        fields = definition.fields
        paths = try definition.fields.map { try compile($0.path) }
        groups = try definition.rows.map { group in
            Group(definition: group, each: try compile(group.each), paths: try group.fields.map { try compile($0.path) })
        }
        recordRef = try definition.source.recordRef.map { try compile($0) }
    }

    /// One record's mapped values.
    public struct Mapped {
        public var fields: [Range<Int>?] = []
        /// Per group, per row (matched element), per field.
        public var rows: [[[Range<Int>?]]] = []
        /// Per group, the line of each row's element.
        public var rowLines: [[Int]] = []
        public var recordRef: String?

        public init() {}
    }

    public func map(_ tree: XMLRecordTree, into mapped: inout Mapped) {
        tree.withView { view in
            mapped.fields = paths.map { $0.value(in: view, from: 0) }
            mapped.rows = []
            mapped.rowLines = []
            for group in groups {
                let elements = group.each.elements(in: view, from: 0)
                mapped.rows.append(elements.map { element in group.paths.map { $0.value(in: view, from: element) } })
                mapped.rowLines.append(elements.map { Int(view.nodes[Int($0)].line) })
            }
        }
        mapped.recordRef = recordRef.flatMap { $0.value(in: tree, from: 0) }.flatMap { range in
            Self.operationalReference(tree.bytes[range]).flatMap { Self.quotesNoValue($0, of: tree, except: range) ? $0 : nil }
        }
    }

    /// Senders sometimes build the message control id from a patient or visit
    /// number. The reference is kept in the clear only if no other value of the
    /// record (4 characters or more) occurs inside it.
    static func quotesNoValue(_ reference: String, of tree: XMLRecordTree, except own: Range<Int>) -> Bool {
        let ref = Array(reference.utf8)
        func occurs(_ range: Range<Int>) -> Bool {
            guard range.count >= 4, range.count <= ref.count, range != own else { return false }
            let needle = tree.bytes[range]
            return (0...(ref.count - needle.count)).contains { ref[$0..<($0 + needle.count)].elementsEqual(needle) }
        }
        for node in tree.nodes.indices where occurs(tree.textRange(of: Int32(node))) { return false }
        for attribute in tree.attributes where occurs(tree.trimmed(Int(attribute.valueStart), Int(attribute.valueCount))) { return false }
        return true
    }

    /// A message control id kept in the clear only if it looks like one (short,
    /// [A-Za-z0-9._-]): a sender putting something else there gets nothing stored.
    static func operationalReference(_ bytes: ArraySlice<UInt8>) -> String? {
        guard (1...64).contains(bytes.count), bytes.allSatisfy({ b in
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x2E || b == 0x5F || b == 0x2D
        }) else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// Record or row values as `FieldBytes`, so the validators, the blind index and
/// the splitter work on XML exactly as on CSV. A missing value reads as empty.
public struct XMLFieldView: FieldBytes {
    let tree: XMLRecordTree
    let values: [Range<Int>?]

    public init(tree: XMLRecordTree, values: [Range<Int>?]) {
        self.tree = tree
        self.values = values
    }

    public var fieldCount: Int { values.count }

    public func withField<R>(_ index: Int, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        try tree.bytes.withUnsafeBufferPointer { all in
            try body(values[index].map { UnsafeBufferPointer(rebasing: all[$0]) } ?? UnsafeBufferPointer(start: nil, count: 0))
        }
    }
}
