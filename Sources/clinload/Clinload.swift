import ArgumentParser
import Foundation

@main
struct Clinload: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clinload",
        abstract: "Load clinical feeds into PostgreSQL: validate, split identity from clinical data, encrypt identifiers, audit.",
        discussion: """
            Without --database-url, clinload keeps a private PostgreSQL cluster and a local master key \
            under the state folder (./.clinload, or --home / CLINLOAD_HOME).

            Exit status: 0 success (or already loaded), 64 usage, 65 data rejected, 69 database or key \
            service unavailable, 70 internal error, 73 cannot write output, 75 try again later (lock held), 78 configuration error.
            """,
        version: "0.1.0",
        subcommands: [RunCommand.self, ReplayCommand.self, BatchesCommand.self, AuditCommand.self, LineageCommand.self, DatabaseCommand.self, GenerateCommand.self,
                      LintCommand.self, QuarantineCommand.self, RevealCommand.self, ShredCommand.self, KeysCommand.self, ExtractCommand.self])

    /// Like ParsableCommand's default, except that clinload's own errors end the
    /// process with their documented exit status.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let failure as CommandFailure {
            FileHandle.standardError.write(Data("error: \(failure)\n".utf8))
            Foundation.exit(failure.error.exitStatus.rawValue)
        } catch {
            exit(withError: error)
        }
    }
}
