import CXMLBridge
import ClinloadCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A streaming XML reader (libxml2's push parser, 64 KiB at a time, behind the
/// opaque CXMLBridge) with optional XSD validation while it reads.
///
/// Memory stays flat whatever the file's size: no document tree is built, and
/// the events of one chunk are handed out one by one from a reused buffer.
/// Parsing uses XML_PARSE_NONET | NOERROR | NOWARNING, never NOENT, DTDLOAD or
/// HUGE, and the file is screened for a DOCTYPE before the parser sees it (the
/// parser also stops at one, should the screen ever be bypassed).
///
/// Events: a start element, then its content, then its end element; an empty
/// element (`<a/>`) is a start immediately followed by an end. Character data
/// between two tags is one `.text` event (CDATA sections and comments do not
/// split it); a run of white space only is not reported. Comments and
/// processing instructions are skipped.
///
/// Owned by one task at a time (not Sendable: it wraps a C parser).
public final class XMLStreamReader {
    public enum Kind: Sendable { case startElement, endElement, text }

    public let path: String
    public let schema: XMLSchema?
    private let handle: OpaquePointer
    private let current: UnsafePointer<clx_event>
    private let names = InternedNames()

    /// Screens the file (`XMLInputScreen`), then opens it for streaming and, with
    /// a schema, validates while reading. Throws `unsafeXML` from the screen or
    /// `inputUnreadable`.
    public convenience init(path: String, schema: XMLSchema?) throws {
        try self.init(path: path, schema: schema, screening: true)
    }

    /// `screening: false` exists for tests that prove the parser's own DOCTYPE
    /// refusal; production code always screens.
    init(path: String, schema: XMLSchema?, screening: Bool) throws {
        self.path = path
        self.schema = schema
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw XMLInputScreen.unreadable(path, errno) }
        if screening {
            do {
                try XMLInputScreen.check(fd: fd, path: path)
            } catch {
                close(fd)
                throw error
            }
        }
        // The reader takes the descriptor over (and closes it, also on failure).
        guard let handle = clx_reader_open(fd, path, schema?.handle) else {
            throw ClinloadError(.internalError, stage: .extract, "cannot set up the XML reader (out of memory)",
                                location: .init(file: path))
        }
        self.handle = handle
        current = clx_reader_event(handle)
    }

    deinit { clx_reader_free(handle) }

    /// Advances to the next event; false at a clean end of the document.
    ///
    /// Throws `malformedXML` (stage extract, with the line, a rule such as
    /// "not_well_formed", "tag_mismatch", "premature_end", "content_after_root",
    /// "no_root_element", "namespace", and the libxml2 code) on any well-formedness
    /// error, including a truncated file; `unsafeXML` if the parser met a DOCTYPE;
    /// `inputUnreadable` on a read error. The parser runs up to one chunk ahead of
    /// the events, so an error anywhere in that chunk fails the file at once.
    /// Every later call throws again.
    public func read() throws -> Bool {
        switch clx_reader_next(handle) {
        case 1: return true
        case 0: return false
        default: throw failure()
        }
    }

    public var kind: Kind {
        switch Int(current.pointee.kind) {
        case CLX_START_ELEMENT: return .startElement
        case CLX_END_ELEMENT: return .endElement
        default: return .text
        }
    }

    /// Root element = 0; a text's depth is its element's depth + 1.
    public var depth: Int { Int(current.pointee.depth) }

    /// Local name of the current start or end element ("" for text).
    public var localName: String { names.string(current.pointee.local_name) }

    /// The current element's name as libxml2's interned pointers: equal names
    /// give equal tokens for the reader's life, so callers can key caches on it
    /// instead of hashing strings per element.
    public var nameToken: XMLNameToken {
        XMLNameToken(local: UInt(bitPattern: UnsafeRawPointer(current.pointee.local_name)),
                     namespace: UInt(bitPattern: UnsafeRawPointer(current.pointee.namespace_uri)))
    }

    /// The strings behind a token of this reader.
    public func names(of token: XMLNameToken) -> (local: String, namespace: String) {
        (names.string(UnsafePointer(bitPattern: token.local)), names.string(UnsafePointer(bitPattern: token.namespace)))
    }

    /// Like `forEachAttribute`, with interned-name tokens instead of strings.
    public func forEachAttributeToken(_ body: (_ name: XMLNameToken, _ value: UnsafeBufferPointer<UInt8>) throws -> Void) rethrows {
        var cursor: UnsafeRawPointer?
        var attribute = clx_attribute()
        while clx_reader_attribute(handle, &cursor, &attribute) == 1 {
            try body(XMLNameToken(local: UInt(bitPattern: UnsafeRawPointer(attribute.local_name)),
                                  namespace: UInt(bitPattern: UnsafeRawPointer(attribute.namespace_uri))),
                     UnsafeBufferPointer(start: attribute.value, count: attribute.value_length))
        }
    }

    /// Namespace URI of the current element, "" if it has none.
    public var namespaceURI: String { names.string(current.pointee.namespace_uri) }

    /// 1-based line: where the start or end tag ends (libxml2's own convention),
    /// or where a text's first non-blank character is. Exact at any size.
    public var line: Int { current.pointee.line }

    /// Bytes of the file the parser had consumed when it met the current event:
    /// for progress and record offsets.
    public var bytesConsumed: Int { Int(current.pointee.offset) }

    /// The current text's bytes (UTF-8), valid only inside `body`; empty unless
    /// the current event is `.text`.
    public func withText<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        let event = current.pointee
        guard Int(event.kind) == CLX_TEXT, let text = event.text else {
            return try body(UnsafeBufferPointer(start: nil, count: 0))
        }
        return try body(UnsafeBufferPointer(start: text, count: event.text_length))
    }

    /// Attributes of the current start element, in document order (namespace
    /// declarations excluded). Values are UTF-8, valid only inside `body`.
    public func forEachAttribute(
        _ body: (_ localName: String, _ namespaceURI: String, _ value: UnsafeBufferPointer<UInt8>) throws -> Void
    ) rethrows {
        var cursor: UnsafeRawPointer?
        var attribute = clx_attribute()
        while clx_reader_attribute(handle, &cursor, &attribute) == 1 {
            try body(names.string(attribute.local_name), names.string(attribute.namespace_uri),
                     UnsafeBufferPointer(start: attribute.value, count: attribute.value_length))
        }
    }

    /// Schema-validity problems reported since the last call, oldest first.
    ///
    /// They come in step with the events, as if validation ran event by event
    /// (the parser actually runs up to a chunk ahead): a problem with a start tag
    /// or an attribute comes once the element's start has been read, a problem
    /// with its content once its end has been read. So the issues taken after an
    /// event belong to the element just read or to its content. After the end of
    /// the document, or a failure, all remaining issues come. At most 4,096 wait
    /// at any time; more are only counted in `droppedValidityIssueCount`.
    public func takeValidityIssues() -> [XMLIssue] {
        let count = clx_reader_issue_count(handle)
        guard count > 0, let pending = clx_reader_issues(handle) else { return [] }
        var issues: [XMLIssue] = []
        issues.reserveCapacity(count)
        for issue in UnsafeBufferPointer(start: pending, count: count) {
            let code = Int(issue.code)
            issues.append(XMLIssue(
                line: issue.line, code: code,
                rule: issue.rule.map { String(cString: $0) } ?? "xsd_\(code)",
                element: issue.element.map { names.string($0) },
                attribute: issue.attribute.map { names.string($0) }))
        }
        clx_reader_clear_issues(handle)
        return issues
    }

    /// Validity issues not kept because too many were waiting.
    public var droppedValidityIssueCount: Int { Int(clx_reader_dropped_issues(handle)) }

    /// True while no validity issue and no error has occurred.
    public var isValid: Bool { clx_reader_is_valid(handle) != 0 }

    private func failure() -> ClinloadError {
        var failure = clx_failure()
        clx_reader_failure(handle, &failure)
        let rule = failure.rule.map { String(cString: $0) } ?? "not_well_formed"
        let location = ClinloadError.Location(file: path, line: failure.line, rule: rule)
        switch Int(failure.kind) {
        case CLX_FAILURE_UNSAFE:
            return ClinloadError(.unsafeXML, stage: .extract, "the XML parser met a DOCTYPE, which is refused: ask the sender for the file without it",
                                 location: location, attributes: [("code", "\(failure.code)")])
        case CLX_FAILURE_UNREADABLE:
            return ClinloadError(.inputUnreadable, stage: .extract, "cannot read the input file",
                                 location: location, attributes: [("errno", "\(failure.code)")])
        default:
            return ClinloadError(.malformedXML, stage: .extract, "the XML document is not well-formed (a truncated or damaged file?); nothing of it was loaded: have the sender fix or re-send it, then run it again",
                                 location: location, attributes: [("code", "\(failure.code)")])
        }
    }
}

/// An element or attribute name as libxml2's interned (dictionary) pointers.
public struct XMLNameToken: Hashable, Sendable {
    public let local: UInt
    public let namespace: UInt

    /// A slot in a direct-mapped table of `1 << bits` entries (Fibonacci hashing
    /// of both addresses). Every bit of the addresses counts: libxml2 packs its
    /// dictionary's strings end to end, unaligned, so names of one segment
    /// ("PID.1", "PID.2") lie a few bytes apart, and a slot taken from the
    /// addresses shifted by 3 put them in the same slot. The misses went to a
    /// dictionary probe (SipHash), 1% of an HL7 v2 load's CPU.
    @inline(__always)
    public func slot(bits: Int) -> Int {
        let mixed = (local &* 0x9E37_79B9_7F4A_7C15) ^ (namespace &* 0xC2B2_AE3D_27D4_EB4F)
        return Int(truncatingIfNeeded: mixed >> UInt(UInt.bitWidth - bits))
    }
}
