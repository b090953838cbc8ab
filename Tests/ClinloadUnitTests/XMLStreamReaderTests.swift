import ClinloadCore
@testable import ClinloadXML
import Foundation
import Testing

// MARK: - fixtures

/// The shared corpus next to the package (../shared/corpus), found from this file.
private let corpusRoot: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("../shared/corpus").standardizedFileURL
private func corpus(_ relative: String) -> String { corpusRoot.appendingPathComponent(relative).path }
private let corpusPresent = FileManager.default.fileExists(atPath: corpusRoot.path)

private let hapiParser = "hapifhir__hapi-hl7v2/hapi-test/src/test/resources/ca/uhn/hl7v2/parser"
private let cdaSample = "HL7__CDA-core-2.0/schema/normative/infrastructure/cda/SampleCDADocument.xml"
private let sdtcFolder = "HL7__CDA-core-2.0/schema/extensions/SDTC"
private let sdtcSchema = "HL7__CDA-core-2.0/schema/extensions/SDTC/infrastructure/cda/CDA_SDTC.xsd"
private let referralNote = "HL7__C-CDA-Examples/Documents/Referral Note/Referral_Note.xml"

/// A fresh folder per test, removed by the caller's `defer`.
private func scratchFolder() throws -> URL {
    let url = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("clinload-xml-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url.resolvingSymlinksInPath()
}

@discardableResult
private func write(_ bytes: [UInt8], to folder: URL, _ name: String) throws -> String {
    let url = folder.appendingPathComponent(name)
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try Data(bytes).write(to: url)
    return url.path
}

@discardableResult
private func write(_ text: String, to folder: URL, _ name: String) throws -> String {
    try write(Array(text.utf8), to: folder, name)
}

/// One event as a readable line: "start {ns}name @attr{ns}=value line", "text 'x' line", "end name line".
private func describe(_ r: XMLStreamReader) -> String {
    switch r.kind {
    case .startElement:
        var s = "start \(r.depth) {\(r.namespaceURI)}\(r.localName)"
        r.forEachAttribute { name, ns, value in s += " @{\(ns)}\(name)=\(String(decoding: value, as: UTF8.self))" }
        return s + " L\(r.line)"
    case .endElement:
        return "end \(r.depth) {\(r.namespaceURI)}\(r.localName) L\(r.line)"
    case .text:
        return "text \(r.depth) '\(r.withText { String(decoding: $0, as: UTF8.self) })' L\(r.line)"
    }
}

private func events(_ r: XMLStreamReader) throws -> [String] {
    var out: [String] = []
    while try r.read() { out.append(describe(r)) }
    return out
}

/// Reads to the end, gathering every validity issue.
private func drain(_ r: XMLStreamReader) throws -> [XMLIssue] {
    var issues: [XMLIssue] = []
    while try r.read() { issues += r.takeValidityIssues() }
    return issues + r.takeValidityIssues()
}

private func expectError(_ code: ClinloadError.Code, rule: String?, _ body: () throws -> Void,
                         sourceLocation: SourceLocation = #_sourceLocation) -> ClinloadError? {
    do {
        try body()
        Issue.record("expected \(code.rawValue)/\(rule ?? "-"), got no error", sourceLocation: sourceLocation)
        return nil
    } catch let error as ClinloadError {
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
        #expect(error.location.rule == rule, "\(error)", sourceLocation: sourceLocation)
        return error
    } catch {
        Issue.record("unexpected \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

private func peakResidentBytes() -> Int {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return usage.ru_maxrss * 1024
}

private let billionLaughs = """
    <?xml version="1.0"?>
    <!DOCTYPE lolz [
     <!ENTITY lol "lol">
     <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
     <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
     <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
     <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
     <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
     <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
     <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
     <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
     <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
    ]>
    <lolz>&lol9;</lolz>
    """

/// A small schema whose facets each catch one planted value.
private let patientSchema = """
    <xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:t" xmlns="urn:t" elementFormDefault="qualified">
     <xs:element name="batch"><xs:complexType><xs:sequence>
      <xs:element name="patient" maxOccurs="unbounded"><xs:complexType><xs:sequence>
        <xs:element name="mrn"><xs:simpleType><xs:restriction base="xs:string"><xs:pattern value="[0-9]{6}"/></xs:restriction></xs:simpleType></xs:element>
        <xs:element name="initials"><xs:simpleType><xs:restriction base="xs:string"><xs:maxLength value="3"/></xs:restriction></xs:simpleType></xs:element>
        <xs:element name="born" type="xs:date"/>
      </xs:sequence>
      <xs:attribute name="sex" use="required"><xs:simpleType><xs:restriction base="xs:string">
        <xs:enumeration value="F"/><xs:enumeration value="M"/></xs:restriction></xs:simpleType></xs:attribute>
      </xs:complexType></xs:element>
     </xs:sequence></xs:complexType></xs:element>
    </xs:schema>
    """

// MARK: - events

@Suite("XML stream reader: events")
struct XMLStreamReaderEventTests {
    @Test func smallDocumentWithAttributesNamespacesEmptyElementsAndCDATA() throws {
        let folder = try scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = try write("""
            <?xml version="1.0" encoding="UTF-8"?>
            <!-- a feed -->
            <feed xmlns="urn:example:feed" xmlns:x="urn:example:ext" version="2">
              <patient x:source="lab" id="p1">
                <name>Zoë &amp; Co</name>
                <flag/>
                <note><![CDATA[a < b]]><!-- c --> and more</note>
                <x:extra>1</x:extra>
              </patient>
            </feed>
            """, to: folder, "feed.xml")
        let reader = try XMLStreamReader(path: path, schema: nil)
        #expect(try events(reader) == [
            "start 0 {urn:example:feed}feed @{}version=2 L3",
            "start 1 {urn:example:feed}patient @{urn:example:ext}source=lab @{}id=p1 L4",
            "start 2 {urn:example:feed}name L5",
            "text 3 'Zoë & Co' L5",
            "end 2 {urn:example:feed}name L5",
            "start 2 {urn:example:feed}flag L6",
            "end 2 {urn:example:feed}flag L6",
            "start 2 {urn:example:feed}note L7",
            "text 3 'a < b and more' L7",
            "end 2 {urn:example:feed}note L7",
            "start 2 {urn:example:ext}extra L8",
            "text 3 '1' L8",
            "end 2 {urn:example:ext}extra L8",
            "end 1 {urn:example:feed}patient L9",
            "end 0 {urn:example:feed}feed L10",
        ])
        #expect(try reader.read() == false) // stays at the end
        #expect(reader.isValid)
    }

    @Test(.enabled(if: corpusPresent)) func prefixedNamespaceOfTheCorpusV2Message() throws {
        let reader = try XMLStreamReader(path: corpus("\(hapiParser)/parse_and_encode_with_ns.xml"), schema: nil)
        var starts: [String] = []
        var namespaces = Set<String>()
        var separator: String?
        while try reader.read() {
            if reader.kind == .startElement {
                starts.append(reader.localName)
                namespaces.insert(reader.namespaceURI)
            } else if reader.kind == .text, starts.last == "MSH.1" {
                separator = reader.withText { String(decoding: $0, as: UTF8.self) }
            }
        }
        #expect(starts.first == "ORU_R01") // the ns0: prefix is not part of the local name
        #expect(starts.contains("MSH.10"))
        #expect(namespaces == ["urn:hl7-org:v2xml"])
        #expect(separator == "|")
    }

    @Test func linesStayExactPastLibxml2s65535Limit() throws {
        let folder = try scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        var text = "<r>\n"
        for _ in 0..<70_000 { text += "<i>v</i>\n" }
        text += "<last a=\"1\">\n  tail</last>\n</r>\n"
        let reader = try XMLStreamReader(path: try write(text, to: folder, "long.xml"), schema: nil)
        var last: [String] = []
        while try reader.read() { if reader.line > 70_000 { last.append(describe(reader)) } }
        #expect(last.suffix(4) == ["start 1 {}last @{}a=1 L70002", "text 2 '\n  tail' L70003", "end 1 {}last L70003", "end 0 {}r L70004"])
    }

    @Test func commentsAndPIsNeitherSplitTextNorShiftItsLine() throws {
        let folder = try scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = try write("<a>\n<!-- c\n -->\n text<!-- d -->more\n<b/>\n  <?pi x?>\n\n tail</a>", to: folder, "comments.xml")
        #expect(try events(try XMLStreamReader(path: path, schema: nil)) == [
            "start 0 {}a L1",
            "text 1 '\n\n textmore\n' L4",
            "start 1 {}b L5",
            "end 1 {}b L5",
            "text 1 '\n  \n\n tail' L8",
            "end 0 {}a L8",
        ])
    }

    @Test func textLongerThanAChunkIsOneEvent() throws {
        let folder = try scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let long = String(repeating: "a", count: 200_000)
        let reader = try XMLStreamReader(
            path: try write("<r><t>\(long)<![CDATA[bc]]>d</t></r>", to: folder, "long-text.xml"), schema: nil)
        var texts: [Int] = []
        while try reader.read() { if reader.kind == .text { texts.append(reader.withText { $0.count }) } }
        #expect(texts == [200_003])
    }

    @Test func attributeValuesAreDecoded() throws {
        let folder = try scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let reader = try XMLStreamReader(
            path: try write("<r a=\"x&amp;y&#38;z&lt;&#x41;&quot;\" b=\"\"/>", to: folder, "attributes.xml"), schema: nil)
        #expect(try reader.read())
        var values: [String: String] = [:]
        reader.forEachAttribute { name, _, value in values[name] = String(decoding: value, as: UTF8.self) }
        #expect(values == ["a": "x&y&z<A\"", "b": ""])
        #expect(try reader.read() && reader.kind == .endElement)
        var none = 0
        reader.forEachAttribute { _, _, _ in none += 1 }
        #expect(none == 0)
    }

    @Test func declaredLatin1IsDecodedToUTF8() throws {
        let folder = try scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let bytes = Array("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><r>caf".utf8) + [0xE9] + Array("</r>".utf8)
        let reader = try XMLStreamReader(path: try write(bytes, to: folder, "latin1.xml"), schema: nil)
        var text = ""
        while try reader.read() { if reader.kind == .text { text = reader.withText { String(decoding: $0, as: UTF8.self) } } }
        #expect(text == "café")
    }
}

// MARK: - well-formedness

@Suite("XML stream reader: malformed input")
struct XMLStreamReaderMalformedTests {
    @Test(.enabled(if: corpusPresent)) func aValidDocumentCutInHalfThrowsEvenWhileValidating() throws {
        let folder = try scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let whole = try Data(contentsOf: URL(fileURLWithPath: corpus(cdaSample)))
        let half = try write(Array(whole.prefix(whole.count / 2)), to: folder, "half.xml")
        let schema = try XMLSchema(path: corpus(sdtcSchema), root: corpus(sdtcFolder))
        for schema in [nil, schema] {
            let reader = try XMLStreamReader(path: half, schema: schema)
            let error = expectError(.malformedXML, rule: "premature_end") { _ = try drain(reader) }
            #expect(error?.stage == .extract)
            #expect(error?.location.line ?? 0 > 0)
            #expect(error?.attributes.first?.0 == "code")
            #expect(!reader.isValid) // -1 from the parser is a failure whatever validity says
            _ = expectError(.malformedXML, rule: "premature_end") { _ = try reader.read() } // and stays one
        }
    }

    @Test(.enabled(if: corpusPresent)) func corpusGetAckIdIsRefusedAndTruncated() throws {
        let path = corpus("\(hapiParser)/get_ack_id.xml")
        // Its DOCTYPE (an http DTD) is refused first...
        let refused = expectError(.unsafeXML, rule: "doctype") { _ = try XMLStreamReader(path: path, schema: nil) }
        #expect(refused?.location.line == 2)
        // ...and without it the file is still cut short (it ends inside QAK).
        let folder = try scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let stripped = try write(text.replacingOccurrences(of: "<!DOCTYPE[^>]*>", with: "", options: .regularExpression),
                                 to: folder, "ack.xml")
        let reader = try XMLStreamReader(path: stripped, schema: nil)
        _ = expectError(.malformedXML, rule: "premature_end") { _ = try drain(reader) }
    }

    @Test func wellFormednessErrorsNameTheirRule() throws {
        let folder = try scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let cases: [(String, String)] = [
            ("<a><b>1</c></a>", "tag_mismatch"),
            ("<a/><b/>", "content_after_root"),
            ("", "no_root_element"),
            ("  \n", "no_root_element"),
            ("<?xml version=\"1.0\"?>", "no_root_element"),
            ("<a><p:b/></a>", "namespace"),
            ("<a>&undeclared;</a>", "undeclared_entity"),
            ("<a x=\"1\" x=\"2\"/>", "duplicate_attribute"),
            ("<a>\n<b>\n</a>", "tag_mismatch"),
        ]
        for (index, (text, rule)) in cases.enumerated() {
            let reader = try XMLStreamReader(path: try write(text, to: folder, "bad\(index).xml"), schema: nil)
            _ = expectError(.malformedXML, rule: rule) { _ = try drain(reader) }
        }
    }

    @Test func errorsCarryNoRecordValues() throws {
        let folder = try scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let reader = try XMLStreamReader(
            path: try write("<batch>\n<mrn>CANARY-1970-13-45</mrn>\n<mrn>CANARY-2</mrx>\n</batch>", to: folder, "canary.xml"),
            schema: nil)
        let error = expectError(.malformedXML, rule: "tag_mismatch") { _ = try drain(reader) }
        #expect(error?.location.line == 3)
        #expect(!"\(String(describing: error))".contains("CANARY"))
        #expect(!"\(String(describing: error))".contains("1970"))
    }

    @Test func gzipInputIsNotDecompressedBehindTheScreen() throws {
        let folder = try scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let plain = try write(billionLaughs, to: folder, "lol.xml")
        let gzip = Process()
        gzip.executableURL = URL(fileURLWithPath: "/bin/gzip")
        gzip.arguments = ["-k", plain]
        guard (try? gzip.run()) != nil else { return } // no gzip here: nothing to prove
        gzip.waitUntilExit()
        let reader = try XMLStreamReader(path: plain + ".gz", schema: nil) // binary: the screen lets it by...
        _ = expectError(.malformedXML, rule: "no_root_element") { _ = try drain(reader) } // ...and libxml2 sees bytes
    }
}

// MARK: - safety

@Suite("XML stream reader: hostile input")
struct XMLStreamReaderSafetyTests {
    @Test func screenRefusesDoctypeAndEntityBeforeParsing() throws {
        let folder = try scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let refused: [(String, [UInt8], String, Int)] = [
            ("doctype.xml", Array("<?xml version=\"1.0\"?>\n<!-- x -->\n<!DOCTYPE a SYSTEM \"http://x/a.dtd\">\n<a/>".utf8), "doctype", 3),
            ("lower.xml", Array("<!doctype a>\n<a/>".utf8), "doctype", 1),
            ("entity.xml", Array("<?xml version=\"1.0\"?>\n<!ENTITY e \"x\">\n<a>&e;</a>".utf8), "entity", 2),
            ("bom.xml", [0xEF, 0xBB, 0xBF] + Array("<!DOCTYPE a><a/>".utf8), "doctype", 1),
            ("utf16.xml", [0xFF, 0xFE] + Array("<!DOCTYPE a><a/>".utf8).flatMap { [$0, 0] }, "encoding", 1),
            ("utf7.xml", Array("<?xml version=\"1.0\" encoding=\"UTF-7\"?>+ADw-!DOCTYPE a+AD4-<a/>".utf8), "encoding", 1),
        ]
        for (name, bytes, rule, line) in refused {
            let path = try write(bytes, to: folder, name)
            let error = expectError(.unsafeXML, rule: rule) { try XMLInputScreen.check(path: path) }
            #expect(error?.location.line == line, "\(name)")
            #expect(error?.stage == .extract)
            _ = expectError(.unsafeXML, rule: rule) { _ = try XMLStreamReader(path: path, schema: nil) }
        }
        let accepted = try write("<?xml version=\"1.0\"?>\n<?pi x?>\n<!-- <!DOCTYPE in a comment> -->\n<a><!DOCTYPE-ish-text/></a>",
                                 to: folder, "fine.xml")
        try XMLInputScreen.check(path: accepted)
        _ = expectError(.inputUnreadable, rule: nil) { try XMLInputScreen.check(path: folder.appendingPathComponent("missing.xml").path) }
    }

    @Test func billionLaughsIsRejectedFastWithBoundedMemory() throws {
        let folder = try scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = try write(billionLaughs, to: folder, "lol.xml")
        let rssBefore = peakResidentBytes()
        let start = ContinuousClock.now
        _ = expectError(.unsafeXML, rule: "doctype") { _ = try XMLStreamReader(path: path, schema: nil) }
        // With the screen bypassed, the parser itself stops at the DOCTYPE (even while validating).
        let schemaFolder = try scratchFolder()
        defer { try? FileManager.default.removeItem(at: schemaFolder) }
        let schema = try XMLSchema(path: try write(patientSchema, to: schemaFolder, "patient.xsd"))
        for schema in [nil, schema] {
            let reader = try XMLStreamReader(path: path, schema: schema, screening: false)
            let error = expectError(.unsafeXML, rule: "doctype") { _ = try drain(reader) }
            #expect(error?.location.line == 2)
        }
        #expect(ContinuousClock.now - start < .seconds(1))
        #expect(peakResidentBytes() - rssBefore < 64 << 20)
    }

    @Test(.enabled(if: corpusPresent)) func xxeNeverReadsEtcPasswd() throws {
        let path = corpus("\(hapiParser)/xml-with-xxe.xml")
        let error = expectError(.unsafeXML, rule: "doctype") { _ = try XMLStreamReader(path: path, schema: nil) }
        #expect(error?.location.line == 2)
        // Screen bypassed: the parser stops at the DOCTYPE before its entity is even declared.
        let reader = try XMLStreamReader(path: path, schema: nil, screening: false)
        var texts: [String] = []
        _ = expectError(.unsafeXML, rule: "doctype") {
            while try reader.read() {
                if reader.kind == .text { texts.append(reader.withText { String(decoding: $0, as: UTF8.self) }) }
            }
        }
        #expect(texts.isEmpty)
        // The entity loader on its own refuses the file even when libxml2 is told to
        // load and substitute entities (XMLBridgeTests.entityLoaderRefusesFilesOutsideAllowedFolders).
    }
}

// MARK: - schemas

@Suite("XML stream reader: XSD validation")
struct XMLStreamReaderValidationTests {
    @Test func validityIssuesHaveRuleLineAndNamesButNoValues() throws {
        let folder = try scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let schema = try XMLSchema(path: try write(patientSchema, to: folder, "patient.xsd"))
        let document = try write("""
            <batch xmlns="urn:t">
            <patient sex="CANARYSEX"><mrn>CANARY01</mrn><initials>CANARYXYZ</initials><born>1970-13-45</born></patient>
            <patient sex="F"><mrn>123456</mrn><initials>AB</initials><born>1970-01-01</born><extra/></patient>
            <patient sex="M"><mrn>123456</mrn><initials>AB</initials></patient>
            </batch>
            """, to: folder, "batch.xml")
        let reader = try XMLStreamReader(path: document, schema: schema)
        #expect(reader.isValid)
        let issues = try drain(reader)
        #expect(issues.map(\.rule) == ["xsd_enumeration", "xsd_pattern", "xsd_length", "xsd_datatype",
                                       "xsd_unexpected_element", "xsd_missing_element"])
        #expect(issues.map(\.line) == [2, 2, 2, 2, 3, 4])
        #expect(issues.map(\.element) == ["patient", "mrn", "initials", "born", "extra", "patient"])
        #expect(issues[0].attribute == "sex" && issues.dropFirst().allSatisfy { $0.attribute == nil })
        #expect(issues.map(\.code) == [1840, 1839, 1832, 1824, 1871, 1871])
        let text = "\(issues)"
        #expect(!text.contains("CANARY") && !text.contains("1970"))
        #expect(!reader.isValid)
        #expect(reader.takeValidityIssues().isEmpty) // taken once
        #expect(reader.droppedValidityIssueCount == 0)
    }

    @Test func issuesComeWithTheEventOfTheirElement() throws {
        // The parser runs a chunk ahead; issues must not: each comes right after the
        // event of the element it concerns (its start for attributes, its end for content).
        let folder = try scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let schema = try XMLSchema(path: try write(patientSchema, to: folder, "patient.xsd"))
        var text = "<batch xmlns=\"urn:t\">\n"
        for i in 0..<2_000 {
            let mrn = i == 1_500 ? "x" : "123456"
            text += "<patient sex=\"\(i == 700 ? "X" : "F")\"><mrn>\(mrn)</mrn><initials>A</initials><born>2001-02-03</born></patient>\n"
        }
        let reader = try XMLStreamReader(path: try write(text + "</batch>\n", to: folder, "many.xml"), schema: schema)
        var seen: [String] = []
        while try reader.read() {
            for issue in reader.takeValidityIssues() {
                seen.append("\(issue.rule) after \(reader.kind == .startElement ? "start" : "end") \(reader.localName) L\(reader.line)")
            }
        }
        #expect(seen == ["xsd_enumeration after start patient L702", "xsd_pattern after end mrn L1502"])
    }

    @Test func aSchemaIsCompiledOnceAndServesManyReaders() throws {
        let folder = try scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let schema = try XMLSchema(path: try write(patientSchema, to: folder, "patient.xsd"))
        let good = try write("<batch xmlns=\"urn:t\"><patient sex=\"F\"><mrn>123456</mrn><initials>A</initials><born>2001-02-03</born></patient></batch>",
                             to: folder, "good.xml")
        for _ in 0..<3 {
            let reader = try XMLStreamReader(path: good, schema: schema)
            #expect(try drain(reader).isEmpty)
            #expect(reader.isValid)
        }
        let wrongRoot = try XMLStreamReader(path: try write("<other/>", to: folder, "other.xml"), schema: schema)
        #expect(try drain(wrongRoot).map(\.rule) == ["xsd_no_declaration"])
    }

    @Test(.enabled(if: corpusPresent)) func cdaSampleValidatesAndReferralNoteHasAnEnumerationIssue() throws {
        let schema = try XMLSchema(path: corpus(sdtcSchema), root: corpus(sdtcFolder))
        let sample = try XMLStreamReader(path: corpus(cdaSample), schema: schema)
        var elements = 0
        var issues: [XMLIssue] = []
        while try sample.read() {
            if sample.kind == .startElement { elements += 1 }
            issues += sample.takeValidityIssues()
        }
        #expect(issues.isEmpty)
        #expect(sample.isValid)
        #expect(elements > 400)

        let referral = try XMLStreamReader(path: corpus(referralNote), schema: schema)
        let found = try drain(referral)
        #expect(found == [XMLIssue(line: 1976, code: 1826, rule: "xsd_enumeration", element: "participantRole", attribute: "classCode")])
        #expect(!"\(found)".contains("IND")) // the refused code itself
        #expect(!referral.isValid)
    }

    @Test(.enabled(if: corpusPresent)) func cdaSchemaNeedsItsWiderRoot() throws {
        // Default root = the schema's own folder: ../../processable is outside it.
        let error = expectError(.schemaInvalid, rule: "include_refused") { _ = try XMLSchema(path: corpus(sdtcSchema)) }
        #expect(error?.stage == .configuration)
        #expect(error?.attributes.first?.0 == "code")
    }

    @Test func includesOutsideTheRootAreRefused() throws {
        let folder = try scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let xs = "xmlns:xs=\"http://www.w3.org/2001/XMLSchema\""
        let types = "<xs:schema \(xs)><xs:simpleType name=\"code\"><xs:restriction base=\"xs:string\"/></xs:simpleType></xs:schema>"
        func including(_ location: String) -> String {
            "<xs:schema \(xs)><xs:include schemaLocation=\"\(location)\"/><xs:element name=\"a\" type=\"code\"/></xs:schema>"
        }
        let outside = try write(types, to: folder, "outside.xsd")
        let root = folder.appendingPathComponent("root")
        try write(types, to: root, "inner/types.xsd")
        let escaping = try write(including("../outside.xsd"), to: root, "escaping.xsd")
        let absolute = try write(including("file://\(outside)"), to: root, "absolute.xsd")
        try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent("link.xsd").path, withDestinationPath: outside)
        let viaLink = try write(including("link.xsd"), to: root, "via-link.xsd")
        let viaDots = try write(including("inner/../../outside.xsd"), to: root, "via-dots.xsd")
        let network = try write(including("http://127.0.0.1:9/types.xsd"), to: root, "network.xsd")
        try write("<!DOCTYPE x [<!ENTITY e SYSTEM \"/etc/passwd\">]>\n" + types, to: root, "inner/doctype.xsd")
        let viaDoctype = try write(including("inner/doctype.xsd"), to: root, "via-doctype.xsd")
        let inside = try write(including("inner/types.xsd"), to: root, "inside.xsd")

        for path in [escaping, absolute, viaLink, viaDots, network, viaDoctype] {
            _ = expectError(.schemaInvalid, rule: "include_refused") { _ = try XMLSchema(path: path) }
        }
        _ = try XMLSchema(path: inside)                              // the control: inside is fine
        _ = try XMLSchema(path: escaping, root: folder.path)         // and so is a wider root
        _ = expectError(.schemaInvalid, rule: "outside_root") { _ = try XMLSchema(path: outside, root: root.path) }
        _ = expectError(.schemaInvalid, rule: "outside_root") {
            _ = try XMLSchema(path: root.path + "/../outside.xsd", root: root.path)
        }
        _ = expectError(.schemaInvalid, rule: "root_invalid") { _ = try XMLSchema(path: inside, root: root.path + "/nowhere") }
        _ = expectError(.schemaInvalid, rule: "schema_unreadable") { _ = try XMLSchema(path: root.path + "/missing.xsd") }
    }

    @Test func schemaErrorsCarryNoSchemaText() throws {
        let folder = try scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let broken = try write("""
            <xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"><xs:element name="a"><xs:simpleType>
            <xs:restriction base="xs:string"><xs:pattern value="CANARY[("/></xs:restriction></xs:simpleType></xs:element></xs:schema>
            """, to: folder, "broken.xsd")
        let error = expectError(.schemaInvalid, rule: "schema_compile") { _ = try XMLSchema(path: broken) }
        #expect(!"\(String(describing: error))".contains("CANARY"))
        #expect(error?.attributes.first.map { $0.0 == "code" && $0.1 != "0" } == true)
    }
}
