import ClinloadCore
import ClinloadKeys
import ClinloadPostgres
import ClinloadStore
import Foundation

/// Moves every stored data key (batch keys and the blind-index key) from one
/// key-encryption key to another, without touching a single data row: the data
/// keys stay the same, only their wrapping changes. Where the provider can
/// (AWS KMS ReEncrypt) the plaintext keys never reach clinload.
///
/// Resumable and idempotent: keys are re-wrapped in small committed groups, each
/// update conditional on the key still being wrapped by the old KEK, so an
/// interrupted rotation is finished by running it again, and a finished one does
/// nothing. Shredded keys stay shredded.
public enum KeyRotation {
    public struct Result: Sendable {
        public var fromKeyId: String
        public var toKeyId: String
        public var rotated: Int
        /// Keys already wrapped by the target KEK (an earlier, interrupted run).
        public var alreadyRotated: Int
        /// Keys wrapped by some third KEK: not touched (rotate them with that key).
        public var otherKEK: Int
    }

    static let groupSize = 50

    public static func rotate(connection: PostgresConnection, from source: KeyProvider, to target: KeyProvider) throws -> Result {
        let from = source.keyEncryptionKeyId
        let to = target.keyEncryptionKeyId
        guard from != to else {
            throw ClinloadError(.usage, stage: .keys, "the target key is the key in use: nothing to rotate", attributes: [("kek_id", to)])
        }
        let ring = KeyRing(connection: connection, provider: source)
        var rotated = 0
        while true {
            let ids = try connection.query("""
                SELECT key_id::text FROM etl.data_keys WHERE kek_id = $1 AND shredded_at IS NULL ORDER BY created_at, key_id LIMIT $2
                """, [.text(from), .int(groupSize)])
            if ids.rowCount == 0 { break }
            let group = (0..<ids.rowCount).compactMap { ids.uuid($0, 0) }
            // Re-wrap outside the transaction (KMS calls can be slow), then store
            // the group at once, each row only if nobody rotated it meanwhile.
            let rewrapped = try group.map { id -> (UUID, WrappedDataKey) in
                let stored = try ring.storedKey(id: id)
                return (id, try target.rewrap(stored.wrapped, context: stored.context, from: source))
            }
            try connection.transaction {
                for (id, wrapped) in rewrapped {
                    rotated += try connection.query("""
                        UPDATE etl.data_keys SET kek_id = $2, wrapped = $3, rotated_at = clock_timestamp()
                        WHERE key_id = $1::uuid AND kek_id = $4 AND shredded_at IS NULL
                        """, [.text(id.uuidString), .text(wrapped.keyEncryptionKeyId), .bytes(wrapped.blob), .text(from)]).affectedRows
                }
            }
        }
        let counts = try connection.query("""
            SELECT count(*) FILTER (WHERE kek_id = $1), count(*) FILTER (WHERE kek_id <> $1 AND kek_id <> $2)
            FROM etl.data_keys WHERE shredded_at IS NULL
            """, [.text(to), .text(from)])
        let result = Result(fromKeyId: from, toKeyId: to, rotated: rotated,
                            alreadyRotated: (counts.int(0, 0) ?? 0) - rotated, otherKEK: counts.int(0, 1) ?? 0)
        _ = try connection.transaction {
            try AuditLog(connection: connection).append(event: "keys_rotated", details: [
                "from_kek_id": .string(from), "to_kek_id": .string(to), "rotated": .int(result.rotated),
                "already_rotated": .int(result.alreadyRotated), "other_kek": .int(result.otherKEK),
            ])
        }
        return result
    }
}
