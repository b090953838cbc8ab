import ClinloadCore
import ClinloadCrypto
import ClinloadKeys
import ClinloadPostgres
import Foundation

/// The data keys in `etl.data_keys`: created through the key provider, stored
/// only wrapped, unwrapped into memory when needed.
public struct KeyRing {
    public let connection: PostgresConnection
    public let provider: KeyProvider

    public init(connection: PostgresConnection, provider: KeyProvider) {
        self.connection = connection
        self.provider = provider
    }

    public enum Purpose: String, Sendable {
        case batch
        case blindIndex = "blind_index"
    }

    /// A plaintext data key, held only as long as the value is.
    public struct DataKey: Sendable {
        public var id: UUID
        public var plaintext: SecretBytes
    }

    /// The encryption context of a data key (AWS KMS's term): the key id and
    /// purpose, and for a batch key its batch and pipeline. Rebuilt from the key's
    /// row at unwrap time, so a wrapped key moved to another row fails to unwrap.
    public static func context(keyId: UUID, purpose: Purpose, batchId: UUID?, pipeline: String?) -> KeyContext {
        var context = KeyContext.dataKey(id: keyId, purpose: purpose.rawValue)
        if let batchId { context.pairs["clinload:batch_id"] = batchId.uuidString.lowercased() }
        if let pipeline { context.pairs["clinload:pipeline"] = pipeline }
        return context
    }

    /// A fresh data key for a batch, its wrapped form and commitment inserted in
    /// the caller's transaction (rolled back with it if the batch fails).
    public func newBatchKey(batchId: UUID, pipeline: String) throws -> DataKey {
        let id = UUID()
        let generated = try generate(context: Self.context(keyId: id, purpose: .batch, batchId: batchId, pipeline: pipeline))
        try connection.query("""
            INSERT INTO etl.data_keys (key_id, purpose, kek_id, wrapped, commitment, batch_id, pipeline)
            VALUES ($1::uuid, 'batch', $2, $3, $4, $5::uuid, $6)
            """, [.text(id.uuidString), .text(generated.wrapped.keyEncryptionKeyId), .bytes(generated.wrapped.blob),
                  .bytes(try KeyCommitment.compute(key: generated.plaintext, keyId: id)), .text(batchId.uuidString), .text(pipeline)])
        return DataKey(id: id, plaintext: generated.plaintext)
    }

    /// The long-lived blind-index key, created on first use. Call outside any
    /// transaction: concurrent first users converge on one key.
    public func blindIndexKey() throws -> DataKey {
        if let existing = try loadBlindIndexKey() { return existing }
        let id = UUID()
        let generated = try generate(context: Self.context(keyId: id, purpose: .blindIndex, batchId: nil, pipeline: nil))
        let commitment = try KeyCommitment.compute(key: generated.plaintext, keyId: id)
        try connection.transaction {
            let inserted = try connection.query("""
                INSERT INTO etl.data_keys (key_id, purpose, kek_id, wrapped, commitment) VALUES ($1::uuid, 'blind_index', $2, $3, $4)
                ON CONFLICT (purpose) WHERE purpose = 'blind_index' DO NOTHING
                """, [.text(id.uuidString), .text(generated.wrapped.keyEncryptionKeyId), .bytes(generated.wrapped.blob), .bytes(commitment)])
            if inserted.affectedRows == 1 {
                try AuditLog(connection: connection).append(event: "key_generated", details: [
                    "key_id": .string(id.uuidString.lowercased()), "purpose": "blind_index",
                    "kek_id": .string(generated.wrapped.keyEncryptionKeyId),
                ])
            }
        }
        guard let key = try loadBlindIndexKey() else {
            throw ClinloadError(.keyUnavailable, stage: .keys, "the blind-index key could not be stored")
        }
        return key
    }

    /// A stored data key as the database holds it (wrapped; nothing secret).
    public struct StoredKey: Sendable {
        public var id: UUID
        public var purpose: Purpose
        public var wrapped: WrappedDataKey
        public var commitment: [UInt8]?
        public var batchId: UUID?
        public var pipeline: String?
        public var shredded: Bool

        public var context: KeyContext { KeyRing.context(keyId: id, purpose: purpose, batchId: batchId, pipeline: pipeline) }
    }

    public func storedKey(id: UUID) throws -> StoredKey {
        let rows = try connection.query("""
            SELECT purpose, kek_id, wrapped, commitment, batch_id::text, pipeline, shredded_at IS NOT NULL
            FROM etl.data_keys WHERE key_id = $1::uuid
            """, [.text(id.uuidString)])
        guard rows.rowCount == 1, let purpose = rows.string(0, 0).flatMap(Purpose.init(rawValue:)) else {
            throw ClinloadError(.keyUnavailable, stage: .keys, "no such data key", attributes: [("key_id", id.uuidString.lowercased())])
        }
        return StoredKey(id: id, purpose: purpose, wrapped: WrappedDataKey(keyEncryptionKeyId: rows.string(0, 1)!, blob: rows.bytes(0, 2) ?? []),
                         commitment: rows.bytes(0, 3), batchId: rows.uuid(0, 4),
                         pipeline: rows.string(0, 5), shredded: rows.string(0, 6) == "t")
    }

    /// Unwraps a stored data key by id and checks its commitment before anyone
    /// can use it.
    public func dataKey(id: UUID) throws -> DataKey {
        let stored = try storedKey(id: id)
        guard !stored.shredded else {
            throw ClinloadError(.keyShredded, stage: .keys, "the data key has been crypto-shredded: what it encrypted is gone for good",
                                attributes: [("key_id", id.uuidString.lowercased())] + (stored.batchId.map { [("batch_id", $0.uuidString.lowercased())] } ?? []))
        }
        let plaintext = try provider.unwrap(stored.wrapped, context: stored.context)
        if stored.commitment == nil {
            try addCommitment(to: id, key: plaintext)
        } else {
            try KeyCommitment.verify(key: plaintext, keyId: id, stored: stored.commitment)
        }
        return DataKey(id: id, plaintext: plaintext)
    }

    /// Keys created before key commitment existed (a store older than migration
    /// 6) get their commitment at first use — it unwrapped under its context, so
    /// it is the key that context names — and from then on are checked like any
    /// other. Audited, so a reviewer sees when each got one.
    private func addCommitment(to id: UUID, key: SecretBytes) throws {
        let commitment = try KeyCommitment.compute(key: key, keyId: id)
        try connection.transaction {
            let updated = try connection.query(
                "UPDATE etl.data_keys SET commitment = $2 WHERE key_id = $1::uuid AND commitment IS NULL AND shredded_at IS NULL",
                [.text(id.uuidString), .bytes(commitment)])
            if updated.affectedRows == 1 {
                try AuditLog(connection: connection).append(event: "key_commitment_added", details: [
                    "key_id": .string(id.uuidString.lowercased()),
                ])
            }
        }
    }

    private func loadBlindIndexKey() throws -> DataKey? {
        let rows = try connection.query("SELECT key_id::text FROM etl.data_keys WHERE purpose = 'blind_index'")
        guard rows.rowCount == 1, let id = rows.uuid(0, 0) else { return nil }
        return try dataKey(id: id)
    }

    private func generate(context: KeyContext) throws -> GeneratedDataKey {
        do {
            return try provider.generateDataKey(context: context)
        } catch let error as ClinloadError {
            throw error
        } catch {
            throw ClinloadError(.keyUnavailable, stage: .keys, "the key provider could not generate a data key")
        }
    }
}
