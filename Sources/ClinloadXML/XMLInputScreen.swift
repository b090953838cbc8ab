import CXMLBridge
import ClinloadCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The pre-parse screen: refuses any input whose prolog holds a DOCTYPE before
/// libxml2 sees a byte of it.
///
/// ENTITY declarations can only live inside a DOCTYPE, and libxml2 expands
/// entities during XSD validation even without entity substitution (4,000
/// references: 68 s and 790 MB). Clinical feeds need no DTD, so a DOCTYPE is
/// refused outright. Reads only up to the root element's start tag.
public enum XMLInputScreen {
    /// Throws `unsafeXML` (stage extract) with the line and rule "doctype" or
    /// "entity"; or rule "encoding" for UTF-16/32, EBCDIC or a declared encoding
    /// in which a byte scan could miss a DOCTYPE (UTF-7...). `inputUnreadable` if
    /// the file cannot be read.
    public static func check(path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw unreadable(path, errno) }
        defer { close(fd) }
        try check(fd: fd, path: path)
    }

    /// Screens the file open at `fd` without moving its offset, so the same open
    /// file can be parsed next: what was screened is what libxml2 reads.
    static func check(fd: Int32, path: String) throws {
        var line: Int32 = 0
        let verdict = Int(clx_screen_fd(fd, &line))
        let rule: String
        switch verdict {
        case CLX_SCREEN_OK: return
        case CLX_SCREEN_DOCTYPE: rule = "doctype"
        case CLX_SCREEN_ENTITY: rule = "entity"
        case CLX_SCREEN_ENCODING: rule = "encoding"
        default: throw unreadable(path, errno)
        }
        throw ClinloadError(
            .unsafeXML, stage: .extract, "XML input with a DOCTYPE (DTDs and entities are never loaded) or an unscreenable encoding is refused: ask the sender for the file without its DOCTYPE, in UTF-8",
            location: .init(file: path, line: Int(line), rule: rule))
    }

    static func unreadable(_ path: String, _ code: Int32) -> ClinloadError {
        ClinloadError(.inputUnreadable, stage: .extract, "cannot read the input file",
                      location: .init(file: path), attributes: [("errno", "\(code)")])
    }
}
