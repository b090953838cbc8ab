// libFuzzer target for the XML extraction, in two modes (one binary, built by
// scripts/fuzz; the mode comes from CLINLOAD_FUZZ_XML_MODE):
//
// document (default): any bytes as an HL7 v2 XML or CDA file, written to a
//   temporary file (the reader takes a path), screened (XMLInputScreen), streamed
//   by XMLStreamReader without a schema or with the repo's HL7 v2.5 XSD or the
//   CDA_SDTC XSD, cut into records by XMLRecordAssembler with the hl7v2_adt or
//   cda_documents plan, each record mapped by XMLRecordMapper with the real
//   pipeline definition and re-serialised (XMLRecordTree.serialized).
//
//   The first byte chooses. A byte that can start an XML document ('<', white
//   space, a byte-order mark) means "no control byte": the whole input is the
//   document (so corpus files work as seeds, read in place), read against the
//   schema of the feed it names (urn:hl7-org:v3 → CDA, else HL7 v2). Any other
//   first byte is a control byte and is not part of the document:
//     bits 0-1  schema: 0 none, 1 HL7 v2.5, 2 CDA, 3 the feed's own
//     bit 2     the other feed's plan and mapper (CDA paths over HL7 and back)
//     bit 3     no prolog screen (the parser's own DOCTYPE refusal is the guard)
//
// path: any bytes as an XMLPath (pipeline path language): parsed, compiled, and
//   evaluated from every element of two small fixed records (an ADT message and
//   a CDA document), so evaluation stays cheap whatever the path; the values and
//   element lists must equal those of a plain reference evaluator below (the
//   list-based evaluation clinload shipped first), so a faster evaluator cannot
//   quietly change what a pipeline reads.
//
// Thrown ClinloadErrors (and XMLPath.SyntaxError) are expected. Crashes, hangs,
// sanitizer reports, any other error type, and a record tree whose bytes exceed
// a small multiple of the input (memory must stay linear in the record) are bugs.
import ClinloadCore
import ClinloadDefinitions
@testable import ClinloadXML
import ClinloadXMLMapping
import Foundation

// libFuzzer calls the entry points from one thread.
private struct Feed {
    let pipeline: LoadedPipeline
    let plan: XMLRecordAssembler.Plan
    let schema: XMLSchema
}

private enum Mode { case document, path }

nonisolated(unsafe) private var mode = Mode.document
nonisolated(unsafe) private var hl7Feed: Feed!
nonisolated(unsafe) private var cdaFeed: Feed!
nonisolated(unsafe) private var documentPath = ""
nonisolated(unsafe) private var fixturePaths: [String] = []
/// CLINLOAD_FUZZ_XML_VERBOSE=1: one line per document (mode, records, outcome), to
/// check what the seeds reach or to read a crash input's story.
nonisolated(unsafe) private var verbose = false

private func die(_ message: String) -> Never {
    FileHandle.standardError.write(Data("fuzz_xml setup: \(message)\n".utf8))
    exit(2)
}

private func loadFeed(_ name: String, root: URL, schemaPath: String? = nil) -> Feed {
    let pipeline: LoadedPipeline
    do {
        pipeline = try DefinitionLoader.loadPipeline(name, pipelinesDirectory: root.appendingPathComponent("pipelines"))
    } catch {
        die("cannot load pipeline \(name): \(error)")
    }
    if let unavailable = pipeline.unavailable { die("pipeline \(name) unavailable: \(unavailable)") }
    let source = pipeline.definition.source
    let schemaURL = schemaPath.flatMap { pipeline.xmlSchemasByVersion[$0] } ?? pipeline.schemaURL
    let schema: XMLSchema
    do {
        schema = try XMLSchema(path: schemaURL.path, root: pipeline.xmlSchemaRoot?.path)
    } catch {
        die("cannot compile \(schemaURL.path): \(error)")
    }
    return Feed(pipeline: pipeline,
                plan: .init(namespace: source.namespace ?? "", records: Set(source.records), envelope: Set(source.envelope)),
                schema: schema)
}

@_cdecl("LLVMFuzzerInitialize")
public func fuzzXMLInitialize(_ argc: UnsafeMutableRawPointer?, _ argv: UnsafeMutableRawPointer?) -> CInt {
    let environment = ProcessInfo.processInfo.environment
    mode = environment["CLINLOAD_FUZZ_XML_MODE"] == "path" ? .path : .document
    verbose = environment["CLINLOAD_FUZZ_XML_VERBOSE"] != nil
    let root = URL(fileURLWithPath: environment["CLINLOAD_FUZZ_ROOT"] ?? FileManager.default.currentDirectoryPath)
    if environment["CLINLOAD_CDA_SCHEMA"] == nil {
        let corpus = environment["CLINLOAD_CORPUS"] ?? root.appendingPathComponent("../shared/corpus").standardizedFileURL.path
        setenv("CLINLOAD_CDA_SCHEMA", "\(corpus)/HL7__CDA-core-2.0/schema/extensions/SDTC/infrastructure/cda/CDA_SDTC.xsd", 1)
    }
    hl7Feed = loadFeed("hl7v2_adt", root: root, schemaPath: "2.5")   // schemas/hl7v2/v2.5.xsd, root schemas/hl7v2
    cdaFeed = loadFeed("cda_documents", root: root)
    documentPath = "/dev/shm/clinload-fuzz-xml-\(getpid()).xml"
    atexit {   // libFuzzer ends with exit(): leave nothing in /dev/shm
        unlink(documentPath)
        for path in fixturePaths { unlink(path) }
    }
    if mode == .path {
        for (index, text) in [fixtureADT, fixtureCDA].enumerated() {
            let path = "/dev/shm/clinload-fuzz-xmlpath-\(getpid())-\(index).xml"
            guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8)) else { die("cannot write \(path)") }
            fixturePaths.append(path)
        }
    }
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzXML(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    switch mode {
    case .document: fuzzDocument(bytes)
    case .path: fuzzPath(bytes)
    }
    return 0
}

// MARK: documents

private func startsDocument(_ byte: UInt8) -> Bool {
    [0x3C, 0x20, 0x09, 0x0A, 0x0D, 0xEF, 0xFE, 0xFF, 0x00].contains(byte)
}

private func contains(_ haystack: UnsafeBufferPointer<UInt8>, _ needle: [UInt8]) -> Bool {
    guard haystack.count >= needle.count, let first = needle.first else { return false }
    var i = 0
    while i + needle.count <= haystack.count {
        if haystack[i] == first, UnsafeBufferPointer(rebasing: haystack[i..<(i + needle.count)]).elementsEqual(needle) { return true }
        i += 1
    }
    return false
}

private func fuzzDocument(_ input: UnsafeBufferPointer<UInt8>) {
    let control: UInt8? = input.first.flatMap { startsDocument($0) ? nil : $0 }
    let document = control == nil ? input : UnsafeBufferPointer(rebasing: input.dropFirst())
    let namesCDA = contains(document, Array("urn:hl7-org:v3".utf8))
    let ownFeed = namesCDA ? cdaFeed! : hl7Feed!
    let c = control ?? 3
    let feed = c & 4 != 0 ? (namesCDA ? hl7Feed! : cdaFeed!) : ownFeed
    let schema: XMLSchema? = switch c & 3 {
    case 0: nil
    case 1: hl7Feed.schema
    case 2: cdaFeed.schema
    default: ownFeed.schema
    }
    let screening = c & 8 == 0

    let fd = open(documentPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    guard fd >= 0 else { return }
    if let base = document.baseAddress { _ = write(fd, base, document.count) }
    close(fd)

    _ = HL7VersionSniffer.version(in: Array(document.prefix(64 * 1024)))
    var records = 0
    var outcome = "ok"
    do {
        if screening { try XMLInputScreen.check(path: documentPath) }
        let reader = try XMLStreamReader(path: documentPath, schema: schema, screening: screening)
        records = try assemble(reader, feed: feed, inputBytes: document.count)
        _ = reader.isValid
        _ = reader.droppedValidityIssueCount
    } catch let error as ClinloadError {
        // Refused, malformed or unreadable input: the expected outcomes.
        outcome = "\(error.code) \(error.location.rule ?? "")"
    } catch {
        fatalError("an error that is not a ClinloadError: \(type(of: error)) \(error)")
    }
    if verbose {
        let schemaName = schema.map { URL(fileURLWithPath: $0.path).lastPathComponent } ?? "none"
        FileHandle.standardError.write(Data(
            "fuzz_xml: \(document.count) bytes, plan \(feed.pipeline.name), schema \(schemaName), screen \(screening): \(records) records, \(outcome)\n".utf8))
    }
}

/// Compiling a pipeline's paths costs more than reading a small input, so each
/// feed's mapper (and the name table it compiled into) serves many inputs, as in
/// a batch of many records; it is rebuilt now and then so the table, which only
/// grows, stays small.
nonisolated(unsafe) private var mappers: [String: (names: XMLNameTable, mapper: XMLRecordMapper, uses: Int)] = [:]

// LeakSanitizer cannot see pointers Swift keeps in a multi-payload enum's spare
// bits (the path enums a mapper compiled from), so a cached mapper could read as
// leaked.
@_silgen_name("__lsan_disable") private func lsanDisable()
@_silgen_name("__lsan_enable") private func lsanEnable()

private func mapper(for feed: Feed) -> (XMLNameTable, XMLRecordMapper) {
    let name = feed.pipeline.name
    if let cached = mappers[name], cached.uses < 5_000 {
        mappers[name]!.uses += 1
        return (cached.names, cached.mapper)
    }
    mappers[name] = nil
    lsanDisable()
    defer { lsanEnable() }
    let names = XMLNameTable()
    do {
        let mapper = try XMLRecordMapper(definition: feed.pipeline.definition, names: names)
        mappers[name] = (names, mapper, 1)
        return (names, mapper)
    } catch {
        fatalError("the pipeline's paths do not compile: \(error)")
    }
}

/// The number of records read.
@discardableResult
private func assemble(_ reader: XMLStreamReader, feed: Feed, inputBytes: Int) throws -> Int {
    let (names, mapper) = mapper(for: feed)
    let assembler = XMLRecordAssembler(reader: reader, plan: feed.plan, names: names, file: documentPath)
    var tree = XMLRecordTree()
    var mapped = XMLRecordMapper.Mapped()
    // Text and attribute values are parts of the input: even re-encoded from a
    // one-byte charset to UTF-8 (2x), with the room mixed content reserves and
    // leaves behind when it moves (up to 5x its text), they stay within a fixed
    // multiple of it. A quadratic tree (64 KiB in, 64 MB held) trips this.
    let byteBound = 16 * inputBytes + 4096
    var lastOrdinal = 0
    while let info = try assembler.next(into: &tree) {
        precondition(!tree.isEmpty, "a record without a root element")
        precondition(info.ordinal == lastOrdinal + 1, "record ordinals must count 1, 2, 3...")
        lastOrdinal = info.ordinal
        precondition(info.reasons.count <= XMLRecordAssembler.maxReasonsPerRecord, "more reasons than the cap")
        precondition(tree.bytes.count <= byteBound,
                     "record tree holds \(tree.bytes.count) bytes for a \(inputBytes)-byte input (not linear in the record)")
        precondition(tree.nodes.count <= inputBytes && tree.attributes.count <= inputBytes, "more nodes than input bytes")

        mapper.map(tree, into: &mapped)
        precondition(mapped.fields.count == mapper.fields.count && mapped.rows.count == mapper.groups.count)
        touch(XMLFieldView(tree: tree, values: mapped.fields))
        for (g, rows) in mapped.rows.enumerated() {
            precondition(mapped.rowLines[g].count == rows.count)
            for values in rows { touch(XMLFieldView(tree: tree, values: values)) }
        }
        if let reference = mapped.recordRef { precondition((1...64).contains(reference.utf8.count)) }

        let serialized = tree.serialized(names: names)
        precondition(serialized.count <= 16 * tree.bytes.count + 64 * (tree.nodes.count + tree.attributes.count) + 1024,
                     "serialisation out of proportion to the tree")
    }
    return lastOrdinal
}

/// Reads every mapped value through the same view the validators and the
/// splitter use (the ranges must lie inside the tree's bytes).
private func touch(_ view: XMLFieldView) {
    for index in 0..<view.fieldCount {
        view.withField(index) { value in
            // Values are trimmed of XML white space at both ends.
            if let first = value.first, let last = value.last {
                precondition(![0x20, 0x09, 0x0A, 0x0D].contains(first) && ![0x20, 0x09, 0x0A, 0x0D].contains(last), "untrimmed value")
            }
        }
    }
}

// MARK: paths

private func fuzzPath(_ input: UnsafeBufferPointer<UInt8>) {
    let text = String(decoding: input, as: UTF8.self)
    let path: XMLPath
    do {
        path = try XMLPath(text)
    } catch {
        return
    }
    precondition(path.description == text && !path.alternatives.isEmpty)
    precondition((try? XMLPath(path.description)) == path, "parsing is not deterministic")
    // Fresh names per input (the table only grows), so the fixtures are re-read.
    for (index, fixture) in fixturePaths.enumerated() {
        let feed = index == 0 ? hl7Feed! : cdaFeed!
        let names = XMLNameTable()
        guard let reader = try? XMLStreamReader(path: fixture, schema: nil) else { fatalError("fixture \(index) unreadable") }
        let assembler = XMLRecordAssembler(reader: reader, plan: feed.plan, names: names, file: fixture)
        var tree = XMLRecordTree()
        guard (try? assembler.next(into: &tree)) != nil else { fatalError("fixture \(index) has no record") }
        let prefixes = feed.pipeline.definition.source.namespaces
        let compiled: CompiledXMLPath
        do {
            compiled = try CompiledXMLPath(path, defaultNamespace: feed.plan.namespace, prefixes: prefixes, names: names)
        } catch is ClinloadError {
            // Refused only for a prefix the pipeline does not declare.
            precondition((try? Reference(path: path, names: names, defaultNamespace: feed.plan.namespace, prefixes: prefixes,
                                         tree: tree).checkPrefixes()) == nil, "a path refused without an unknown prefix")
            continue
        } catch {
            fatalError("an error that is not a ClinloadError: \(error)")
        }
        let reference = Reference(path: path, names: names, defaultNamespace: feed.plan.namespace, prefixes: prefixes, tree: tree)
        do { try reference.checkPrefixes() } catch { preconditionFailure("a path with an unknown prefix compiled") }
        for context in tree.nodes.indices.map(Int32.init) {
            let value = compiled.value(in: tree, from: context)
            if let range = value {
                precondition(range.lowerBound >= 0 && range.upperBound <= tree.bytes.count && !range.isEmpty)
            }
            precondition(value == reference.value(from: context),
                         "value of \(text) from node \(context) of fixture \(index) differs from the reference evaluator")
            let elements = compiled.elements(in: tree, from: context)
            precondition(elements.allSatisfy { tree.nodes.indices.contains(Int($0)) })
            precondition(elements == reference.elements(from: context),
                         "elements of \(text) from node \(context) of fixture \(index) differ from the reference evaluator")
        }
    }
}

/// The path semantics as first shipped, evaluated the plain way from the parsed
/// path (public API only): per step, the matches of each context (children, or
/// descendants in document order, or the parent, each parent once), filtered by
/// the predicates in order (a position counts among the matches that survived
/// the predicates before it); a value is the first alternative's first
/// non-empty value, and elements are the first matching alternative's matches,
/// each once. Names resolve as CompiledXMLPath documents: unprefixed
/// elements in the default namespace, unprefixed attributes in none.
private struct Reference {
    struct UnknownPrefix: Error {}

    let path: XMLPath
    let names: XMLNameTable
    let defaultNamespace: String
    let prefixes: [String: String]
    let tree: XMLRecordTree

    /// Throws if some name (predicates included) has an undeclared prefix.
    func checkPrefixes() throws {
        func check(_ location: XMLPath.Location) throws {
            for step in location.steps {
                if let name = step.name { _ = try id(name, attribute: false) }
                for predicate in step.predicates {
                    switch predicate {
                    case .position: break
                    case .equals(let l, _), .notEquals(let l, _), .exists(let l): try check(l)
                    }
                }
            }
            if let attribute = location.attribute { _ = try id(attribute, attribute: true) }
        }
        for alternative in path.alternatives { try check(alternative) }
    }

    func id(_ name: XMLPath.Name, attribute: Bool) throws -> Int32? {
        let namespace: String
        if let prefix = name.prefix {
            guard let uri = prefixes[prefix] else { throw UnknownPrefix() }
            namespace = uri
        } else {
            namespace = attribute ? "" : defaultNamespace
        }
        return names.existingId(namespace: namespace, local: name.local)
    }

    func value(from context: Int32) -> Range<Int>? {
        for alternative in path.alternatives {
            if let range = firstValue(alternative, context), !range.isEmpty { return range }
        }
        return nil
    }

    /// Each element once, where first reached: an element under two `**` steps is
    /// reached from each of its ancestors in between, and is still one row.
    func elements(from context: Int32) -> [Int32] {
        for alternative in path.alternatives where alternative.attribute == nil {
            var seen = Set<Int32>()
            let found = matches(alternative.steps[...], [context]).filter { seen.insert($0).inserted }
            if !found.isEmpty { return found }
        }
        return []
    }

    func attributeRange(_ node: Int32, _ name: XMLPath.Name) -> Range<Int>? {
        guard let id = try! id(name, attribute: true) else { return nil }
        return tree.attributeRange(of: node, name: id)
    }

    func firstValue(_ location: XMLPath.Location, _ context: Int32) -> Range<Int>? {
        for node in matches(location.steps[...], [context]) {
            if let attribute = location.attribute {
                if let range = attributeRange(node, attribute) { return range }
            } else {
                let range = tree.textRange(of: node)
                if !range.isEmpty { return range }
            }
        }
        return nil
    }

    func matches(_ steps: ArraySlice<XMLPath.Step>, _ contexts: [Int32]) -> [Int32] {
        guard let step = steps.first else { return contexts }
        // nil: the name never occurs, so the step matches nothing.
        let wanted: Int32?? = step.name.map { try! id($0, attribute: false) }
        var next: [Int32] = []
        for context in contexts {
            var found: [Int32] = []
            if step.isParent {
                let parent = tree.nodes[Int(context)].parent
                if parent >= 0, !next.contains(parent) { found.append(parent) }
            } else {
                func walk(_ node: Int32) {
                    for child in tree.children(of: node) {
                        switch wanted {
                        case .none: found.append(child)
                        case .some(let id): if let id, tree.nodes[Int(child)].name == id { found.append(child) }
                        }
                        if step.anyDepth { walk(child) }
                    }
                }
                walk(context)
            }
            for predicate in step.predicates {
                switch predicate {
                case .position(let n): found = n <= found.count ? [found[n - 1]] : []
                case .exists(let location):
                    found = found.filter { node in
                        let hits = matches(location.steps[...], [node])
                        guard let attribute = location.attribute else { return !hits.isEmpty }
                        return hits.contains { attributeRange($0, attribute) != nil }
                    }
                case .equals(let location, let literal):
                    found = found.filter { anyValue(location, $0, Array(literal.utf8)) }
                case .notEquals(let location, let literal):
                    found = found.filter { !anyValue(location, $0, Array(literal.utf8)) }
                }
            }
            next += found
        }
        return next.isEmpty ? [] : matches(steps.dropFirst(), next)
    }

    func anyValue(_ location: XMLPath.Location, _ node: Int32, _ literal: [UInt8]) -> Bool {
        matches(location.steps[...], [node]).contains { match in
            let range = location.attribute.map { attributeRange(match, $0) } ?? tree.textRange(of: match)
            return range.map { tree.equals($0, literal) } ?? false
        }
    }
}

// Small records with what the pipelines' paths look at: repetitions, typed
// identifiers, nested groups, attributes, a prefixed element, mixed content.
private let fixtureADT = """
<?xml version="1.0" encoding="UTF-8"?>
<ADT_A01 xmlns="urn:hl7-org:v2xml"><MSH><MSH.9><MSG.1>ADT</MSG.1><MSG.2>A01</MSG.2></MSH.9><MSH.10>MSG-1</MSH.10>\
<MSH.12><VID.1>2.5.1</VID.1></MSH.12></MSH><PID><PID.3><CX.1>123-45-6789</CX.1><CX.5>SS</CX.5></PID.3>\
<PID.3><CX.1> MRN-1 </CX.1><CX.5>MR</CX.5></PID.3><PID.5><XPN.1><FN.1>DOE</FN.1></XPN.1><XPN.2>JANE</XPN.2><XPN.7>L</XPN.7></PID.5>\
<PID.5><XPN.1>ROE</XPN.1><XPN.7>M</XPN.7></PID.5><PID.7><TS.1>19610615</TS.1></PID.7><PID.8>F</PID.8></PID>\
<PV1><PV1.2>I</PV1.2><PV1.19><CX.1>V1</CX.1></PV1.19></PV1><DG1><DG1.3><CE.1>I10</CE.1></DG1.3></DG1>\
<OBX><OBX.3><CE.1>8867-4</CE.1></OBX.3><OBX.5>72</OBX.5></OBX><ADT_A01.INSURANCE><IN1><IN1.2>X</IN1.2></IN1></ADT_A01.INSURANCE></ADT_A01>
"""

private let fixtureCDA = """
<?xml version="1.0" encoding="UTF-8"?>
<ClinicalDocument xmlns="urn:hl7-org:v3" xmlns:sdtc="urn:hl7-org:sdtc" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\
<templateId root="2.16.840.1.113883.10.20.22.1.1"/><id root="1.2.3" extension="doc"/>\
<recordTarget><patientRole><id root="2.16.840.1.113883.4.1" extension="111-22-3333"/><id root="1.2.840" extension="MRN7"/>\
<addr use="HP"><streetAddressLine>1 Main St</streetAddressLine><city>Town</city></addr>\
<patient><name use="L"><given>Ann</given><family>Lee</family></name><administrativeGenderCode code="F"/>\
<birthTime value="19700101"/><sdtc:raceCode code="2106-3"/></patient></patientRole></recordTarget>\
<component><structuredBody><component><section><templateId root="2.16.840.1.113883.10.20.22.2.5.1"/>\
<text>see <content ID="p1">asthma</content> and more</text>\
<component><section><templateId root="2.16.840.1.113883.10.20.22.2.5"/><entry><act><text>nested</text></act></entry></section></component>\
<entry><act><templateId root="2.16.840.1.113883.10.20.22.4.3"/><entryRelationship><observation negationInd="false">\
<templateId root="2.16.840.1.113883.10.20.22.4.4"/><value xsi:type="CD" code="195967001" codeSystem="2.16.840.1.113883.6.96">\
<translation code="J45" codeSystem="2.16.840.1.113883.6.90"/></value><effectiveTime><low value="20100101"/></effectiveTime>\
</observation></entryRelationship></act></entry></section></component></structuredBody></component></ClinicalDocument>
"""
