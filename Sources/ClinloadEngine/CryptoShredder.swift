import ClinloadCore
import ClinloadPostgres
import ClinloadStore
import Foundation

/// Crypto-shredding: destroying one batch's data key makes every identifier it
/// encrypted permanently unreadable — in the vault, in quarantined records, and
/// in every backup of them — while the clinical rows (which hold no identifier)
/// stay. This is how clinload serves retention limits and erasure requests
/// without rewriting data rows.
public enum CryptoShredder {
    public struct Result: Sendable {
        public var keyId: UUID
        /// Vault rows whose identifiers are now unreadable (those still under this batch's key).
        public var identityRows: Int
        public var alreadyShredded: Bool
    }

    public static func shred(batchId: UUID, reason: String, connection: PostgresConnection) throws -> Result {
        let reason = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard reason.count >= IdentityReveal.minimumReasonLength else {
            throw ClinloadError(.usage, stage: .cli, "shredding needs a reason (--reason, at least 10 characters): it is recorded in the audit trail",
                                location: .init(field: "reason", rule: "required"))
        }
        let result: Result = try connection.transaction {
            let key = try connection.query("""
                SELECT b.data_key_id::text, k.shredded_at IS NOT NULL FROM etl.batches b
                LEFT JOIN etl.data_keys k ON k.key_id = b.data_key_id WHERE b.batch_id = $1::uuid FOR UPDATE OF b
                """, [.text(batchId.uuidString)])
            guard key.rowCount == 1 else {
                throw ClinloadError(.usage, stage: .cli, "no batch with this id", attributes: [("batch_id", batchId.uuidString.lowercased())])
            }
            guard let keyId = key.uuid(0, 0) else {
                throw ClinloadError(.usage, stage: .cli, "this batch never had a data key (it failed before encrypting anything)",
                                    attributes: [("batch_id", batchId.uuidString.lowercased())])
            }
            let rows = try connection.query("SELECT count(*) FROM identity.patient WHERE data_key_id = $1::uuid", [.text(keyId.uuidString)])
                .int(0, 0) ?? 0
            if key.string(0, 1) == "t" { return Result(keyId: keyId, identityRows: rows, alreadyShredded: true) }
            // The wrapped key and its commitment go; the row stays, so every
            // ciphertext still names a key id that says "shredded".
            try connection.query("""
                UPDATE etl.data_keys SET wrapped = ''::bytea, commitment = NULL, shredded_at = clock_timestamp() WHERE key_id = $1::uuid
                """, [.text(keyId.uuidString)])
            try AuditLog(connection: connection).append(event: "batch_shredded", batchId: batchId, details: [
                "key_id": .string(keyId.uuidString.lowercased()), "identity_rows_unreadable": .int(rows),
                "reason": .string(String(reason.prefix(500))),
            ])
            return Result(keyId: keyId, identityRows: rows, alreadyShredded: false)
        }
        // The old row version still holds the wrapped key until vacuumed. VACUUM
        // needs the table's owner; a loader role leaves it to autovacuum.
        _ = try? connection.execute("VACUUM etl.data_keys")
        return result
    }
}
