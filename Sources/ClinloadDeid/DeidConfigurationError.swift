/// A de-identification set-up that must not run: a profile or a rule table that
/// is missing or malformed. Carries names, paths and line numbers only.
public enum DeidConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A Limited Data Set needs a data use agreement id (164.514(e)(4)); case L7.
    case dataUseAgreementMissing
    /// A profile name other than `safe-harbor` or `limited-data-set`.
    case unknownProfile(String)
    /// A ZIP3 table name outside `[a-z0-9][a-z0-9-]*` (it becomes part of a file name).
    case invalidTableName(String)
    /// The table file could not be read.
    case tableUnreadable(path: String)
    /// A line that is neither a comment, blank, nor exactly three digits, or a repeated prefix.
    case tableMalformed(path: String, line: Int)
    /// No `# source:` header line naming where the list comes from.
    case tableSourceMissing(path: String)
    /// No prefix at all: an empty list would silently restrict nothing.
    case tableEmpty(path: String)

    public var description: String {
        switch self {
        case .dataUseAgreementMissing:
            return "deid_dua_missing: the limited-data-set profile needs a data use agreement id"
        case .unknownProfile(let name):
            return "deid_profile_unknown: \(name) (expected safe-harbor or limited-data-set)"
        case .invalidTableName(let name):
            return "deid_table_name: \(name) (expected [a-z0-9][a-z0-9-]*)"
        case .tableUnreadable(let path):
            return "deid_table_unreadable: \(path)"
        case .tableMalformed(let path, let line):
            return "deid_table_malformed: \(path) line \(line)"
        case .tableSourceMissing(let path):
            return "deid_table_source_missing: \(path) has no '# source:' header"
        case .tableEmpty(let path):
            return "deid_table_empty: \(path) lists no prefix"
        }
    }
}
