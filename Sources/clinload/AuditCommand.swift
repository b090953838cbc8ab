import ArgumentParser
import ClinloadCore
import ClinloadCrypto
import ClinloadStore
import Foundation

struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "Check or export the hash-chained audit log.", subcommands: [Verify.self, Export.self])

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

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write audit entries as JSON lines (for a SIEM): the hashed entry, its hash and the previous hash.")
        @OptionGroup var since: SinceOption
        @OptionGroup var global: GlobalOptions

        func run() throws {
            try failing {
                let connection = try global.environment.connect()
                defer { connection.close() }
                var after = 0
                while true {
                    let rows = try connection.query("""
                        SELECT seq, payload, encode(entry_hash, 'hex'), encode(prev_hash, 'hex') FROM etl.audit_log
                        WHERE seq > $1 AND ($2::text IS NULL OR occurred_at >= $2::timestamptz) ORDER BY seq LIMIT 5000
                        """, [.int(after), since.since.map { .text($0) } ?? .null])
                    if rows.rowCount == 0 { break }
                    for r in 0..<rows.rowCount {
                        // The payload is already canonical JSON: embedded as it was hashed.
                        print("{\"entry\":\(rows.string(r, 1)!),\"entry_hash\":\"\(rows.string(r, 2)!)\",\"prev_hash\":\"\(rows.string(r, 3)!)\"}")
                        after = rows.int(r, 0)!
                    }
                }
            }
        }
    }
}
