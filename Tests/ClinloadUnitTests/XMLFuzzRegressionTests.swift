import ClinloadCore
import ClinloadDefinitions
import ClinloadXML
import ClinloadXMLMapping
import Foundation
import Testing

/// Inputs found by the XML fuzz target (Fuzz/fuzz_xml.swift, `scripts/fuzz`),
/// kept so they stay fixed.
@Suite("XML fuzz regressions")
struct XMLFuzzRegressionTests {
    /// Mixed content (`x<b>y</b>x<b>y</b>...`): the element's text was moved to
    /// the end of the tree's bytes once per child, so a 64 KiB record held 64 MB
    /// and a ~400 KiB one overflowed the tree's Int32 offsets (a trap).
    @Test func mixedContentKeepsTheRecordTreeLinear() throws {
        let runs = 4_000
        let body = String(repeating: "xxxxxxxx<b>y</b>", count: runs)
        let document = "<ADT_A01 xmlns=\"urn:hl7-org:v2xml\">\(body)</ADT_A01>"
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("clinload-xml-fuzz-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("mixed.xml").path
        #expect(FileManager.default.createFile(atPath: path, contents: Data(document.utf8)))

        let names = XMLNameTable()
        let assembler = XMLRecordAssembler(
            reader: try XMLStreamReader(path: path, schema: nil),
            plan: .init(namespace: "urn:hl7-org:v2xml", records: ["ADT_A01"], envelope: []), names: names, file: path)
        var tree = XMLRecordTree()
        let first = try assembler.next(into: &tree)
        let info = try #require(first)
        #expect(info.reasons.isEmpty)
        #expect(tree.bytes.count <= 16 * document.utf8.count)   // was 64,020,000 for 64,045 bytes
        #expect(String(decoding: tree.bytes[tree.textRange(of: 0)], as: UTF8.self) == String(repeating: "xxxxxxxx", count: runs))
        #expect(tree.nodes.count == runs + 1)
        #expect(tree.children(of: 0).allSatisfy { String(decoding: tree.bytes[tree.textRange(of: $0)], as: UTF8.self) == "y" })
        let second = try assembler.next(into: &tree)
        #expect(second == nil)
    }

    /// Mixed content at two levels, text of every length: each element's own
    /// text is still the concatenation of its runs.
    @Test func mixedContentTextIsTheConcatenationOfItsRuns() {
        let names = XMLNameTable()
        let element = names.id(namespace: "", local: "e")
        var tree = XMLRecordTree()
        var expected: [Int32: String] = [:]
        func text(_ node: Int32, _ s: String) {
            var bytes = Array(s.utf8)
            bytes.withUnsafeMutableBufferPointer { tree.appendText(to: node, UnsafeBufferPointer($0)) }
            expected[node, default: ""] += s
        }
        let root = tree.addElement(name: element, parent: -1, line: 1)
        for i in 0..<200 {
            text(root, String(repeating: "r", count: i % 7 + 1))
            let child = tree.addElement(name: element, parent: root, line: 1)
            text(child, "c\(i)")
            let grandchild = tree.addElement(name: element, parent: child, line: 1)
            text(grandchild, "g")
            text(child, String(repeating: "d", count: i % 5 + 1))
        }
        for (node, value) in expected {
            #expect(String(decoding: tree.bytes[tree.textRange(of: node)], as: UTF8.self) == value)
        }
        #expect(tree.serialized(names: names).count < 4 * tree.bytes.count)
    }

    /// `a[a[a[...]]]` thousands deep overflowed the stack while parsing (the
    /// parser recurses once per level); now a syntax error.
    @Test func deeplyNestedPredicatesAreRefused() throws {
        let deep = String(repeating: "a[", count: 20_000) + "b" + String(repeating: "]", count: 20_000)
        let error = #expect(throws: XMLPath.SyntaxError.self) { try XMLPath(deep) }
        #expect(error?.rule == "too_deeply_nested")
        let limit = XMLPath.maxNesting
        let deepest = String(repeating: "a[", count: limit) + "b" + String(repeating: "]", count: limit)
        #expect(throws: Never.self) { try XMLPath(deepest) }
        // Brackets inside a quoted literal do not count.
        #expect(throws: Never.self) { try XMLPath("a[b='\(String(repeating: "[", count: 100))']") }
    }

    /// A `..` step yields each parent once (several children share it), as the
    /// list-based evaluator did: a row group's `each: "PID/PID.3/.."` is one row,
    /// not one per PID.3. Found by the path target's reference comparison.
    @Test func aParentStepListsEachParentOnce() throws {
        let names = XMLNameTable()
        let ns = "urn:hl7-org:v2xml"
        var tree = XMLRecordTree()
        let message = tree.addElement(name: names.id(namespace: ns, local: "ADT_A01"), parent: -1, line: 1)
        let pid = tree.addElement(name: names.id(namespace: ns, local: "PID"), parent: message, line: 1)
        for _ in 0..<3 { _ = tree.addElement(name: names.id(namespace: ns, local: "PID.3"), parent: pid, line: 1) }
        let path = try CompiledXMLPath("PID/PID.3/..", defaultNamespace: ns, prefixes: [:], names: names)
        #expect(path.elements(in: tree, from: message) == [pid])
        let any = try CompiledXMLPath("*/..", defaultNamespace: ns, prefixes: [:], names: names)
        #expect(any.elements(in: tree, from: pid) == [pid])
    }

    /// Under two `**` steps an element is reached once from each ancestor in
    /// between; it is still one row, listed where first reached (document order).
    /// Found by the path target, whose reference evaluator had listed it each time.
    @Test func nestedAnyDepthStepsListEachElementOnce() throws {
        let names = XMLNameTable()
        let ns = "urn:hl7-org:v2xml"
        var tree = XMLRecordTree()
        func element(_ local: String, _ parent: Int32) -> Int32 {
            tree.addElement(name: names.id(namespace: ns, local: local), parent: parent, line: 1)
        }
        let message = element("ADT_A01", -1)
        let pid = element("PID", message)
        let pid3 = element("PID.3", pid)
        let cx1 = element("CX.1", pid3)
        let cx5 = element("CX.5", pid3)
        let pv1 = element("PV1", message)
        let pv12 = element("PV1.2", pv1)
        let path = try CompiledXMLPath("**/*/**/*", defaultNamespace: ns, prefixes: [:], names: names)
        #expect(path.elements(in: tree, from: message) == [pid3, cx1, cx5, pv12])
        let named = try CompiledXMLPath("**/PID/**/CX.1", defaultNamespace: ns, prefixes: [:], names: names)
        #expect(named.elements(in: tree, from: message) == [cx1])
    }
}
