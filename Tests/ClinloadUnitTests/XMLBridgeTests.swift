import CXMLBridge
import Foundation
import Testing

/// Runs the loader probe: libxml2 told to load and substitute entities (options
/// clinload never uses), so only the entity loader stands between it and a file.
private func expandEntities(_ document: String) -> (built: Bool, text: String) {
    var buffer = [CChar](repeating: 0, count: 4096)
    let rc = document.withCString { clx_probe_entity_expansion($0, Int32(strlen($0)), &buffer, buffer.count) }
    let text = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
    return (rc == 0, String(decoding: text, as: UTF8.self))
}

private func documentReferencing(_ systemID: String) -> String {
    "<?xml version=\"1.0\"?>\n<!DOCTYPE r [ <!ENTITY e SYSTEM \"\(systemID)\"> ]>\n<r>&e;</r>"
}

@Suite("libxml2 bridge")
struct XMLBridgeTests {
    @Test func linksLibxml2AndParsesSafely() {
        #expect(clx_library_version() >= 20900)
        let good = "<a><b>1</b></a>"
        #expect(good.withCString { clx_probe_well_formed($0, Int32(good.utf8.count)) } == 0)
        let bad = "<a><b>1</a>"
        #expect(bad.withCString { clx_probe_well_formed($0, Int32(bad.utf8.count)) } == -1)
        #expect(clx_allow_schema_dir("relative/dir") == -1)
        #expect(clx_allow_schema_dir("/no/such/folder/anywhere") == -1)
    }

    @Test func entityLoaderRefusesFilesOutsideAllowedFolders() throws {
        // The proof only means something if the file is there to be read.
        let passwd = try String(contentsOfFile: "/etc/passwd", encoding: .utf8)
        #expect(passwd.contains("root:"))

        let folder = URL(fileURLWithPath: NSTemporaryDirectory())
            .appendingPathComponent("clinload-loader-\(UUID().uuidString)").resolvingSymlinksInPath()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let allowed = folder.appendingPathComponent("allowed")
        try FileManager.default.createDirectory(at: allowed, withIntermediateDirectories: true)
        try "ALLOWED-TEXT".write(to: allowed.appendingPathComponent("note.txt"), atomically: true, encoding: .utf8)
        try "NEIGHBOUR-TEXT".write(to: folder.appendingPathComponent("neighbour.txt"), atomically: true, encoding: .utf8)
        let sibling = folder.appendingPathComponent("allowed-sibling")
        try FileManager.default.createDirectory(at: sibling, withIntermediateDirectories: true)
        try "NEIGHBOUR-SIBLING".write(to: sibling.appendingPathComponent("note.txt"), atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: allowed.appendingPathComponent("passwd").path,
                                                   withDestinationPath: "/etc/passwd")
        // A trailing slash and a "/./" are canonicalised away.
        #expect(clx_allow_schema_dir(allowed.path + "/./") == 0)

        // The control: a file under an allowed folder is loaded.
        #expect(expandEntities(documentReferencing("file://\(allowed.path)/note.txt")).text.contains("ALLOWED-TEXT"))

        let refusedBefore = clx_refused_entity_loads()
        for systemID in [
            "file:///etc/passwd",
            "/etc/passwd",
            "\(allowed.path)/../../../../../../etc/passwd",      // climbs out by "/../"
            "file://\(allowed.path)/%2E%2E/neighbour.txt",      // ...or by an escaped one
            "\(allowed.path)/passwd",                            // a symlink inside pointing out
            "\(sibling.path)/note.txt",                          // "allowed-sibling": a prefix is no folder
            "http://127.0.0.1:9/passwd",
        ] {
            let result = expandEntities(documentReferencing(systemID))
            #expect(!result.text.contains("root:"), "\(systemID)")
            #expect(!result.text.contains("NEIGHBOUR"), "\(systemID)")
        }
        #expect(clx_refused_entity_loads() > refusedBefore)
    }

    @Test func screenReadsOnlyTheProlog() throws {
        let folder = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("clinload-screen-\(UUID().uuidString).xml")
        defer { try? FileManager.default.removeItem(at: folder) }
        // A DOCTYPE after the root's start tag is no prolog: libxml2 refuses it as
        // not well-formed; the screen has stopped reading by then.
        try "<a>\n<!DOCTYPE a>\n</a>".write(to: folder, atomically: true, encoding: .utf8)
        let fd = open(folder.path, O_RDONLY)
        defer { close(fd) }
        var line: Int32 = 0
        #expect(Int(clx_screen_fd(fd, &line)) == CLX_SCREEN_OK)
        #expect(lseek(fd, 0, SEEK_CUR) == 0) // the descriptor's offset is untouched
    }
}
