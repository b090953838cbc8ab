import ClinloadCore
import ClinloadCrypto
import ClinloadKeys
import ClinloadPostgres
import ClinloadStore
import Foundation

/// Re-identification of one patient for an operator, for a stated reason.
///
/// The audit entry (who, which surrogate, the reason, how many values; never a
/// value) is committed before any identifier is decrypted, so there is no reveal
/// without its record. Values come back to the caller only: the command prints
/// them to a terminal and nothing else ever sees them.
public enum IdentityReveal {
    public struct Revealed {
        public var surrogate: UUID
        /// Vault column and its plaintext (nil: the column is empty, or its key was shredded).
        public var values: [(column: String, value: String?)]
        /// Batches whose data keys were crypto-shredded: their values are gone.
        public var shreddedBatches: [UUID]
    }

    /// A reason must say something: at least this many non-blank characters.
    public static let minimumReasonLength = 10

    public static func reveal(surrogate: UUID, reason: String, connection: PostgresConnection, provider: KeyProvider) throws -> Revealed {
        let reason = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard reason.count >= minimumReasonLength else {
            throw ClinloadError(.usage, stage: .cli, "a reveal needs a reason (--reason, at least 10 characters): it is recorded in the audit trail",
                                location: .init(field: "reason", rule: "required"))
        }
        let columns = try connection.query("""
            SELECT column_name FROM information_schema.columns
            WHERE table_schema = 'identity' AND table_name = 'patient' AND data_type = 'bytea' AND column_name <> 'blind_index'
            ORDER BY ordinal_position
            """)
        let names = (0..<columns.rowCount).compactMap { columns.string($0, 0) }
        let count = try connection.query("""
            SELECT \(names.map { "(\"\($0)\" IS NOT NULL)::int" }.joined(separator: " + ")) FROM identity.patient WHERE surrogate_id = $1::uuid
            """, [.text(surrogate.uuidString)])
        guard count.rowCount == 1 else {
            throw ClinloadError(.usage, stage: .cli, "no patient with this surrogate key in the vault",
                                attributes: [("surrogate_id", surrogate.uuidString.lowercased())])
        }
        _ = try connection.transaction {
            try AuditLog(connection: connection).append(event: "identity_revealed", details: [
                "surrogate_id": .string(surrogate.uuidString.lowercased()),
                "reason": .string(String(reason.prefix(500))),
                "columns": .int(count.int(0, 0) ?? 0),
            ])
        }
        var shreddedKeys = Set<UUID>()
        let plaintext = try VaultReader(connection: connection, provider: provider)
            .read([surrogate], columns: names, shreddedKeys: &shreddedKeys)[surrogate] ?? [:]
        let ring = KeyRing(connection: connection, provider: provider)
        let shredded = Set(try shreddedKeys.compactMap { try ring.storedKey(id: $0).batchId })
        let values = names.map { ($0, plaintext[$0]) }
        return Revealed(surrogate: surrogate, values: values, shreddedBatches: shredded.sorted { $0.uuidString < $1.uuidString })
    }
}
