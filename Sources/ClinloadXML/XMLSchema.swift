import CXMLBridge
import ClinloadCore

/// An XSD compiled once, to validate documents while they stream.
///
/// Shareable by many readers (libxml2 only reads a compiled schema), used by one
/// at a time. Compiling is the only moment files other than the document are
/// read, and then only under `root`: the entity loader refuses every other path,
/// compared after `realpath` so "/../" and symlinks cannot leave the folder.
public final class XMLSchema: @unchecked Sendable {
    public let path: String
    let handle: OpaquePointer

    /// Compiles the XSD at `path`. `root` is the folder its xs:include / xs:import
    /// may read (default: the schema file's folder); CDA_SDTC.xsd includes
    /// ../../processable/..., so CDA callers pass the SDTC folder.
    ///
    /// Throws `schemaInvalid` (stage configuration) with the libxml2 error code and
    /// a rule: "schema_unreadable", "root_invalid", "outside_root" (the schema file
    /// is not under `root`), "include_refused" (an include or import outside
    /// `root`, or with a DOCTYPE), "schema_compile". Never libxml2's message text.
    public init(path: String, root: String? = nil) throws {
        self.path = path
        var failure = clx_schema_failure()
        guard let handle = clx_schema_compile(path, root, &failure) else {
            let rule = failure.rule.map { String(cString: $0) } ?? "schema_compile"
            throw ClinloadError(
                .schemaInvalid, stage: .configuration, "the XML schema cannot be compiled",
                location: .init(file: path, rule: rule), attributes: [("code", "\(failure.code)")])
        }
        self.handle = handle
    }

    deinit { clx_schema_free(handle) }
}
