import CXMLBridge
import Testing

@Suite("libxml2 bridge")
struct XMLBridgeTests {
    @Test func linksLibxml2AndParsesSafely() {
        #expect(clx_library_version() >= 20900)
        let good = "<a><b>1</b></a>"
        #expect(good.withCString { clx_probe_well_formed($0, Int32(good.utf8.count)) } == 0)
        let bad = "<a><b>1</a>"
        #expect(bad.withCString { clx_probe_well_formed($0, Int32(bad.utf8.count)) } == -1)
        #expect(clx_allow_schema_dir("relative/dir") == -1)
    }
}
