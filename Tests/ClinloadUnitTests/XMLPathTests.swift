import ClinloadDefinitions
import ClinloadXMLMapping
import Testing

/// Builds a record tree by hand (no parser) so the path language is tested alone.
struct TreeBuilder {
    let names = XMLNameTable()
    var tree = XMLRecordTree()
    var stack: [Int32] = []
    let ns: String

    init(namespace: String = "urn:hl7-org:v2xml") { ns = namespace }

    mutating func open(_ local: String, namespace: String? = nil, _ attributes: [(String, String)] = [], line: Int = 1) {
        let node = tree.addElement(name: names.id(namespace: namespace ?? ns, local: local), parent: stack.last ?? -1, line: line)
        for (name, value) in attributes {
            var bytes = Array(value.utf8)
            bytes.withUnsafeMutableBufferPointer { tree.addAttribute(to: node, name: names.id(namespace: "", local: name), value: UnsafeBufferPointer($0)) }
        }
        stack.append(node)
    }

    mutating func text(_ s: String) {
        var bytes = Array(s.utf8)
        bytes.withUnsafeMutableBufferPointer { tree.appendText(to: stack.last!, UnsafeBufferPointer($0)) }
    }

    mutating func leaf(_ local: String, _ value: String, _ attributes: [(String, String)] = []) {
        open(local, attributes)
        text(value)
        close()
    }

    mutating func close() { stack.removeLast() }

    func value(_ path: String, prefixes: [String: String] = [:]) throws -> String? {
        let compiled = try CompiledXMLPath(path, defaultNamespace: ns, prefixes: prefixes, names: names)
        return compiled.value(in: tree, from: 0).map { String(decoding: tree.bytes[$0], as: UTF8.self) }
    }

    func count(_ path: String) throws -> Int {
        try CompiledXMLPath(path, defaultNamespace: ns, prefixes: [:], names: names).elements(in: tree, from: 0).count
    }
}

@Suite("XML paths")
struct XMLPathTests {
    /// An ADT-like message: two PID.3 repetitions (SS then MR), a v2.4-style name.
    func message() -> TreeBuilder {
        var b = TreeBuilder()
        b.open("ADT_A01")
        b.open("PID")
        b.open("PID.3"); b.leaf("CX.1", "123-45-6789"); b.leaf("CX.5", "SS"); b.close()
        b.open("PID.3"); b.leaf("CX.1", " MRN-1 "); b.leaf("CX.5", "MR"); b.close()
        b.open("PID.5"); b.open("XPN.1"); b.leaf("FN.1", "DOE"); b.close(); b.close()
        b.open("PID.7"); b.leaf("TS.1", "19610615"); b.close()
        b.close()
        b.open("OBX"); b.leaf("OBX.5", "7.2"); b.close()
        b.open("ORU.GROUP"); b.open("OBX"); b.leaf("OBX.5", "8.1"); b.close(); b.close()
        b.open("id", [("root", "2.16.840.1.113883.4.1"), ("extension", "999")]); b.close()
        b.open("id", [("root", "1.2.3"), ("extension", "E-1")]); b.close()
        return b
    }

    @Test func childStepsAndTrimming() throws {
        let b = message()
        #expect(try b.value("PID/PID.3/CX.1") == "123-45-6789")      // first match in document order
        #expect(try b.value("PID/PID.3[2]/CX.1") == "MRN-1")          // position, surrounding space trimmed
        #expect(try b.value("PID/PID.3[CX.5='MR']/CX.1") == "MRN-1")  // value predicate
        #expect(try b.value("PID/PID.3[CX.5!='SS']/CX.1") == "MRN-1")
        #expect(try b.value("PID/PID.3[CX.5='XX']/CX.1") == nil)
        // A position counts what earlier predicates let through; later ones test the chosen match.
        #expect(try b.value("PID/PID.3[CX.5!='SS'][1]/CX.1") == "MRN-1")
        #expect(try b.value("PID/PID.3[1][CX.5!='SS']/CX.1") == nil)
        #expect(try b.value("PID/PID.3[2][CX.5!='SS']/CX.1") == "MRN-1")
    }

    @Test func alternativesTakeTheFirstNonEmpty() throws {
        let b = message()
        // v2.3 writes the family name as XPN.1 text, v2.4+ as XPN.1/FN.1: XPN.1 has no own text here.
        #expect(try b.value("PID/PID.5/XPN.1/FN.1 | PID/PID.5/XPN.1") == "DOE")
        #expect(try b.value("PID/PID.5/XPN.1 | PID/PID.5/XPN.1/FN.1") == "DOE")
        #expect(try b.value("PID/PID.7/TS.1 | PID/PID.7") == "19610615")
    }

    @Test func anyDepthAndAttributes() throws {
        let b = message()
        #expect(try b.count("**/OBX") == 2)
        #expect(try b.count("OBX") == 1)
        #expect(try b.value("id[@root='2.16.840.1.113883.4.1']/@extension") == "999")
        #expect(try b.value("id[@root!='2.16.840.1.113883.4.1']/@extension") == "E-1")
        #expect(try b.value("id[@root]/@root") == "2.16.840.1.113883.4.1")
        #expect(try b.value("id[@nothing]/@root") == nil)
        #expect(try b.value("missing/path") == nil)
    }

    @Test func prefixesResolveToNamespaces() throws {
        var b = TreeBuilder(namespace: "urn:hl7-org:v3")
        b.open("ClinicalDocument")
        b.open("raceCode", namespace: "urn:hl7-org:sdtc", [("code", "2106-3")]); b.close()
        b.open("raceCode", [("code", "1002-5")]); b.close()
        #expect(try b.value("sdtc:raceCode/@code", prefixes: ["sdtc": "urn:hl7-org:sdtc"]) == "2106-3")
        #expect(try b.value("raceCode/@code") == "1002-5")
        #expect(throws: (any Error).self) { try b.value("zz:raceCode/@code") }
    }

    @Test(arguments: ["", "a//b", "a[", "a[0]", "a[1][b][2]", "@x/b", "a/**", "a[b=c]", "a b/c", "a['x]"])
    func syntaxErrorsAreRefused(_ text: String) {
        #expect(throws: XMLPath.SyntaxError.self) { try XMLPath(text) }
    }
}

@Suite("XML paths: parent steps")
struct XMLPathParentTests {
    @Test func aRowReachesItsGroupHeader() throws {
        var b = TreeBuilder()
        b.open("ORU_R01")
        b.open("ORDER"); b.open("OBR"); b.leaf("OBR.3", "ACC-1"); b.close()
        b.open("OBSERVATION"); b.open("OBX"); b.leaf("OBX.5", "1"); b.close(); b.close()
        b.close()
        let obx = try CompiledXMLPath("**/OBX", defaultNamespace: b.ns, prefixes: [:], names: b.names).elements(in: b.tree, from: 0)
        #expect(obx.count == 1)
        let order = try CompiledXMLPath("../../OBR/OBR.3", defaultNamespace: b.ns, prefixes: [:], names: b.names)
        #expect(order.value(in: b.tree, from: obx[0]).map { String(decoding: b.tree.bytes[$0], as: UTF8.self) } == "ACC-1")
        // Above the record element there is nothing.
        #expect(try b.value("../x") == nil)
    }
}
