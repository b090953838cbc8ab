import ArgumentParser
import ClinloadCore
import ClinloadEngine
import Foundation

/// Audited re-identification of one patient, to a terminal only.
struct RevealCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reveal",
        abstract: "Decrypt one patient's identifiers for an operator, for a stated reason (audited; printed to the terminal only).",
        discussion: """
            The audit entry (operating-system user and database role, the surrogate key, the reason, the time) is \
            written before anything is decrypted. Values are printed to standard output only when it is a terminal, \
            never to logs; --no-tty-check lets a script under your own controls read them.
            """)

    @Option(help: "The patient's surrogate key (clinical tables' surrogate_id).") var patient: String
    @Option(help: "Why (recorded in the audit trail; at least 10 characters; no identifiers please).") var reason: String?
    @Flag(help: "Print even when standard output is not a terminal.") var noTTYCheck = false
    @OptionGroup var global: GlobalOptions

    func validate() throws {
        if UUID(uuidString: patient) == nil { throw ValidationError("--patient must be a surrogate key (a UUID)") }
        if (reason ?? "").trimmingCharacters(in: .whitespaces).count < IdentityReveal.minimumReasonLength {
            throw ValidationError("--reason is required (at least \(IdentityReveal.minimumReasonLength) characters): it goes into the audit trail")
        }
    }

    func run() throws {
        try failing {
            guard noTTYCheck || isatty(STDOUT_FILENO) == 1 else {
                throw CommandFailure(ClinloadError(.usage, stage: .cli,
                                                   "refusing to print identifiers to a file or pipe: run it on a terminal (or pass --no-tty-check)"))
            }
            let connection = try global.environment.connect()
            defer { connection.close() }
            let revealed = try IdentityReveal.reveal(surrogate: UUID(uuidString: patient)!, reason: reason ?? "", connection: connection,
                                                     provider: try global.environment.keyProvider(store: connection))
            print("patient \(revealed.surrogate.uuidString.lowercased())")
            for (column, value) in revealed.values where value != nil {
                print("  \(column.padding(toLength: 16, withPad: " ", startingAt: 0)) \(value!)")
            }
            for batch in revealed.shreddedBatches {
                print("  (identifiers loaded by batch \(batch.uuidString.lowercased()) were crypto-shredded: they cannot be revealed)")
            }
            if revealed.values.allSatisfy({ $0.value == nil }) && !revealed.shreddedBatches.isEmpty {
                throw CommandFailure(ClinloadError(.keyShredded, stage: .keys, "every identifier of this patient was crypto-shredded"))
            }
        }
    }
}

/// Crypto-shredding of one batch's identifiers.
struct ShredCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shred",
        abstract: "Destroy a batch's data key: its identifiers become permanently unreadable; clinical rows stay (audited).",
        discussion: """
            For retention limits and erasure requests: the identifiers a batch encrypted — in the vault and in its \
            quarantined records, and in every backup of them — can no longer be decrypted by anyone. Vault rows a later \
            batch re-encrypted (the same patient loaded again) are under that batch's key and stay readable.
            """)

    @Option(help: "The batch id.") var batch: String
    @Option(help: "Why (recorded in the audit trail; at least 10 characters).") var reason: String?
    @OptionGroup var global: GlobalOptions

    func validate() throws {
        if UUID(uuidString: batch) == nil { throw ValidationError("--batch must be a batch id (a UUID)") }
        if (reason ?? "").trimmingCharacters(in: .whitespaces).count < IdentityReveal.minimumReasonLength {
            throw ValidationError("--reason is required (at least \(IdentityReveal.minimumReasonLength) characters): it goes into the audit trail")
        }
    }

    func run() throws {
        try failing {
            let connection = try global.environment.connect()
            defer { connection.close() }
            let result = try CryptoShredder.shred(batchId: UUID(uuidString: batch)!, reason: reason ?? "", connection: connection)
            if result.alreadyShredded {
                print("batch \(batch.lowercased()): data key \(result.keyId.uuidString.lowercased()) was already shredded")
            } else {
                print("batch \(batch.lowercased()): data key \(result.keyId.uuidString.lowercased()) shredded; \(result.identityRows) vault rows are now unreadable")
            }
        }
    }
}
