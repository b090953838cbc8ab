/// One record (an HL7 message, a CDA document) as a compact tree: built from
/// the streaming reader's events, evaluated by compiled paths, then discarded.
/// Memory is bounded by the largest record, never by the file.
///
/// Flat arrays instead of node objects: a message has hundreds of elements, and
/// allocating an object per element would cost more than parsing it.
public struct XMLRecordTree {
    public struct Node {
        public var name: Int32          // XMLNameTable id (namespace + local name)
        public var parent: Int32
        public var firstChild: Int32 = -1
        public var lastChild: Int32 = -1
        public var nextSibling: Int32 = -1
        /// The element's own text: a range of `bytes`.
        public var textStart: Int32 = 0
        public var textCount: Int32 = 0
        /// Bytes reserved for the text at `textStart` once mixed content moved it
        /// (0: none; the text then grows only while it ends `bytes`).
        public var textCapacity: Int32 = 0
        public var firstAttribute: Int32 = 0
        public var attributeCount: Int32 = 0
        public var line: Int32
    }

    public struct Attribute {
        public var name: Int32
        public var valueStart: Int32
        public var valueCount: Int32
    }

    public private(set) var nodes: [Node] = []
    public private(set) var attributes: [Attribute] = []
    /// Text and attribute values, UTF-8.
    public private(set) var bytes: [UInt8] = []

    public init() {
        nodes.reserveCapacity(512)
        bytes.reserveCapacity(16 * 1024)
    }

    public mutating func reset() {
        nodes.removeAll(keepingCapacity: true)
        attributes.removeAll(keepingCapacity: true)
        bytes.removeAll(keepingCapacity: true)
    }

    public var isEmpty: Bool { nodes.isEmpty }

    /// Bytes of memory the tree holds (its arrays' capacities), for callers that
    /// bound how many trees they keep.
    public var footprint: Int {
        nodes.capacity * MemoryLayout<Node>.stride + attributes.capacity * MemoryLayout<Attribute>.stride + bytes.capacity
    }

    /// Adds an element under `parent` (-1 for the record element); returns its index.
    public mutating func addElement(name: Int32, parent: Int32, line: Int) -> Int32 {
        let index = Int32(nodes.count)
        nodes.append(Node(name: name, parent: parent, firstAttribute: Int32(attributes.count), line: Int32(clamping: line)))
        if parent >= 0 {
            let p = Int(parent)
            if nodes[p].lastChild >= 0 { nodes[Int(nodes[p].lastChild)].nextSibling = index } else { nodes[p].firstChild = index }
            nodes[p].lastChild = index
        }
        return index
    }

    public mutating func addAttribute(to node: Int32, name: Int32, value: UnsafeBufferPointer<UInt8>) {
        attributes.append(Attribute(name: name, valueStart: Int32(bytes.count), valueCount: Int32(value.count)))
        bytes.append(contentsOf: value)
        nodes[Int(node)].attributeCount += 1
    }

    /// Appends text to an element's own text. Text split around child elements
    /// (mixed content) is moved to the end so it stays one contiguous range, with
    /// as much room again reserved after it: moving it once per child would copy
    /// quadratically (a 64 KiB record of `x<b>y</b>` runs held 64 MB, a 400 KiB
    /// one overflowed the Int32 offsets), doubling keeps the tree linear.
    public mutating func appendText(to node: Int32, _ text: UnsafeBufferPointer<UInt8>) {
        let i = Int(node)
        let start = Int(nodes[i].textStart)
        let count = Int(nodes[i].textCount)
        let end = start + count
        if count == 0 {
            nodes[i].textStart = Int32(bytes.count)
            nodes[i].textCapacity = 0
            bytes.append(contentsOf: text)
        } else if end == bytes.count {
            bytes.append(contentsOf: text)
        } else if count + text.count <= Int(nodes[i].textCapacity) {
            bytes.replaceSubrange(end..<(end + text.count), with: text)
        } else {
            let old = Array(bytes[start..<end])
            let capacity = 2 * (count + text.count)
            nodes[i].textStart = Int32(bytes.count)
            nodes[i].textCapacity = Int32(capacity)
            bytes.append(contentsOf: old)
            bytes.append(contentsOf: text)
            bytes.append(contentsOf: repeatElement(0x20, count: capacity - count - text.count))
        }
        nodes[i].textCount += Int32(text.count)
    }

    /// The element's own text with surrounding XML whitespace trimmed (may be empty).
    public func textRange(of node: Int32) -> Range<Int> {
        trimmed(Int(nodes[Int(node)].textStart), Int(nodes[Int(node)].textCount))
    }

    public func attributeRange(of node: Int32, name: Int32) -> Range<Int>? {
        let n = nodes[Int(node)]
        for a in attributes[Int(n.firstAttribute)..<Int(n.firstAttribute + n.attributeCount)] where a.name == name {
            return trimmed(Int(a.valueStart), Int(a.valueCount))
        }
        return nil
    }

    public func trimmed(_ start: Int, _ count: Int) -> Range<Int> {
        var lo = start
        var hi = start + count
        while lo < hi, Self.isSpace(bytes[lo]) { lo += 1 }
        while hi > lo, Self.isSpace(bytes[hi - 1]) { hi -= 1 }
        return lo..<hi
    }

    static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D }

    public func equals(_ range: Range<Int>, _ literal: [UInt8]) -> Bool {
        range.count == literal.count && bytes[range].elementsEqual(literal)
    }

    /// Children of `node` in document order.
    public func children(of node: Int32) -> ChildSequence { ChildSequence(nodes: nodes, cursor: nodes[Int(node)].firstChild) }

    public struct ChildSequence: Sequence, IteratorProtocol {
        let nodes: [Node]
        var cursor: Int32
        public mutating func next() -> Int32? {
            guard cursor >= 0 else { return nil }
            defer { cursor = nodes[Int(cursor)].nextSibling }
            return cursor
        }
    }

    /// The tree through unsafe buffers, for evaluation without reference
    /// counting; valid only inside `body`.
    public func withView<R>(_ body: (XMLTreeView) throws -> R) rethrows -> R {
        try nodes.withUnsafeBufferPointer { n in
            try attributes.withUnsafeBufferPointer { a in
                try bytes.withUnsafeBufferPointer { b in try body(XMLTreeView(nodes: n, attributes: a, bytes: b)) }
            }
        }
    }

    /// A plain re-serialisation of the record (elements, attributes, text), for
    /// the encrypted quarantine payload. Not byte-identical to the input.
    public func serialized(names: XMLNameTable) -> [UInt8] {
        var out: [UInt8] = []
        guard !nodes.isEmpty else { return out }
        out.reserveCapacity(bytes.count * 2)
        func escape(_ range: Range<Int>) {
            for b in bytes[range] {
                switch b {
                case 0x3C: out += Array("&lt;".utf8)
                case 0x26: out += Array("&amp;".utf8)
                case 0x22: out += Array("&quot;".utf8)
                default: out.append(b)
                }
            }
        }
        func write(_ node: Int32) {
            let n = nodes[Int(node)]
            let name = Array(names.localName(n.name).utf8)
            out.append(0x3C); out += name
            if node == 0 { out += Array(" xmlns=\"".utf8) + Array(names.namespace(n.name).utf8) + [0x22] }
            for a in attributes[Int(n.firstAttribute)..<Int(n.firstAttribute + n.attributeCount)] {
                out.append(0x20); out += Array(names.localName(a.name).utf8); out += [0x3D, 0x22]
                escape(Int(a.valueStart)..<Int(a.valueStart + a.valueCount)); out.append(0x22)
            }
            out.append(0x3E)
            escape(Int(n.textStart)..<Int(n.textStart + n.textCount))
            for child in children(of: node) { write(child) }
            out += [0x3C, 0x2F] + name + [0x3E]
        }
        write(0)
        return out
    }
}

/// A read-only view of a record tree over unsafe buffers (see `withView`).
public struct XMLTreeView {
    public let nodes: UnsafeBufferPointer<XMLRecordTree.Node>
    let attributes: UnsafeBufferPointer<XMLRecordTree.Attribute>
    public let bytes: UnsafeBufferPointer<UInt8>

    public func textRange(of node: Int32) -> Range<Int> {
        trimmed(Int(nodes[Int(node)].textStart), Int(nodes[Int(node)].textCount))
    }

    public func attributeRange(of node: Int32, name: Int32) -> Range<Int>? {
        let n = nodes[Int(node)]
        var i = Int(n.firstAttribute)
        let end = i + Int(n.attributeCount)
        while i < end {
            if attributes[i].name == name { return trimmed(Int(attributes[i].valueStart), Int(attributes[i].valueCount)) }
            i += 1
        }
        return nil
    }

    func trimmed(_ start: Int, _ count: Int) -> Range<Int> {
        var lo = start
        var hi = start + count
        while lo < hi, XMLRecordTree.isSpace(bytes[lo]) { lo += 1 }
        while hi > lo, XMLRecordTree.isSpace(bytes[hi - 1]) { hi -= 1 }
        return lo..<hi
    }

    public func equals(_ range: Range<Int>, _ literal: [UInt8]) -> Bool {
        guard range.count == literal.count else { return false }
        var i = 0
        for b in literal {
            if bytes[range.lowerBound + i] != b { return false }
            i += 1
        }
        return true
    }
}
