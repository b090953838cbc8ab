import ArgumentParser
import ClinloadCore
import ClinloadCrypto
import ClinloadStore
import Foundation

struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "Check the hash-chained audit log.", subcommands: [Verify.self])

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Recompute the whole chain; name the first broken or missing entry (exit 65 if any).")
        @OptionGroup var global: GlobalOptions

        func run() throws {
            try failing {
                let connection = try global.environment.connect()
                defer { connection.close() }
                switch try AuditVerifier(connection: connection).verify() {
                case .intact(let entries, let head):
                    print("audit chain intact: \(entries) entries, head sha256 \(head.hexString)")
                case .broken(let seq, let reason):
                    print("audit chain BROKEN at seq \(seq): \(reason.rawValue)")
                    throw ExitCode(ExitStatus.dataError.rawValue)
                }
            }
        }
    }
}
