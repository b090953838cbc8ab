import ClinloadCore
import Foundation

/// The installed PostgreSQL server programs (initdb, pg_ctl, postgres): found on
/// PATH, or in the newest /usr/lib/postgresql/*/bin (Debian's layout, where they
/// are not on PATH).
public struct ServerBinaries: Sendable {
    public var directory: URL

    public func path(_ program: String) -> String { directory.appendingPathComponent(program).path }

    public static func locate(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> ServerBinaries {
        let fm = FileManager.default
        func complete(_ dir: String) -> Bool {
            ["initdb", "pg_ctl", "postgres"].allSatisfy { fm.isExecutableFile(atPath: (dir as NSString).appendingPathComponent($0)) }
        }
        if let explicit = environment["CLINLOAD_PG_BIN"], complete(explicit) {
            return ServerBinaries(directory: URL(fileURLWithPath: explicit))
        }
        for dir in (environment["PATH"] ?? "").split(separator: ":").map(String.init) where complete(dir) {
            return ServerBinaries(directory: URL(fileURLWithPath: dir))
        }
        let root = "/usr/lib/postgresql"
        let versions = ((try? fm.contentsOfDirectory(atPath: root)) ?? [])
            .compactMap { name -> (Int, String)? in Int(name.split(separator: ".").first ?? "").map { ($0, name) } }
            .sorted { $0.0 > $1.0 }
        for (_, name) in versions where complete("\(root)/\(name)/bin") {
            return ServerBinaries(directory: URL(fileURLWithPath: "\(root)/\(name)/bin"))
        }
        throw ClinloadError(.databaseSetup, stage: .database,
                            "no PostgreSQL server programs found (initdb, pg_ctl, postgres); install postgresql or set CLINLOAD_PG_BIN")
    }
}
