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

    /// A fresh data key for a batch, its wrapped form inserted in the caller's
    /// transaction (rolled back with it if the batch fails).
    public func newBatchKey() throws -> DataKey {
        let id = UUID()
        let generated = try generate(id: id, purpose: .batch)
        try insert(id: id, purpose: .batch, wrapped: generated.wrapped)
        return DataKey(id: id, plaintext: generated.plaintext)
    }

    /// The long-lived blind-index key, created on first use. Call outside any
    /// transaction: concurrent first users converge on one key.
    public func blindIndexKey() throws -> DataKey {
        if let existing = try loadBlindIndexKey() { return existing }
        let id = UUID()
        let generated = try generate(id: id, purpose: .blindIndex)
        try connection.transaction {
            let inserted = try connection.query("""
                INSERT INTO etl.data_keys (key_id, purpose, kek_id, wrapped) VALUES ($1::uuid, 'blind_index', $2, $3)
                ON CONFLICT (purpose) WHERE purpose = 'blind_index' DO NOTHING
                """, [.text(id.uuidString), .text(generated.wrapped.keyEncryptionKeyId), .bytes(generated.wrapped.blob)])
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

    /// Unwraps a stored data key by id.
    public func dataKey(id: UUID) throws -> DataKey {
        let rows = try connection.query(
            "SELECT purpose, kek_id, wrapped, shredded_at IS NOT NULL FROM etl.data_keys WHERE key_id = $1::uuid",
            [.text(id.uuidString)])
        guard rows.rowCount == 1, let purpose = rows.string(0, 0).flatMap(Purpose.init(rawValue:)) else {
            throw ClinloadError(.keyUnavailable, stage: .keys, "no such data key", attributes: [("key_id", id.uuidString.lowercased())])
        }
        guard rows.string(0, 3) == "f", let wrapped = rows.bytes(0, 2) else {
            throw ClinloadError(.keyUnavailable, stage: .keys, "the data key has been shredded", attributes: [("key_id", id.uuidString.lowercased())])
        }
        let plaintext = try provider.unwrap(
            WrappedDataKey(keyEncryptionKeyId: rows.string(0, 1)!, blob: wrapped),
            context: .dataKey(id: id, purpose: purpose.rawValue))
        return DataKey(id: id, plaintext: plaintext)
    }

    private func loadBlindIndexKey() throws -> DataKey? {
        let rows = try connection.query("SELECT key_id::text FROM etl.data_keys WHERE purpose = 'blind_index'")
        guard rows.rowCount == 1, let id = rows.string(0, 0).flatMap(UUID.init(uuidString:)) else { return nil }
        return try dataKey(id: id)
    }

    private func generate(id: UUID, purpose: Purpose) throws -> GeneratedDataKey {
        do {
            return try provider.generateDataKey(context: .dataKey(id: id, purpose: purpose.rawValue))
        } catch let error as ClinloadError {
            throw error
        } catch {
            throw ClinloadError(.keyUnavailable, stage: .keys, "the key provider could not generate a data key")
        }
    }

    private func insert(id: UUID, purpose: Purpose, wrapped: WrappedDataKey) throws {
        try connection.query(
            "INSERT INTO etl.data_keys (key_id, purpose, kek_id, wrapped) VALUES ($1::uuid, $2, $3, $4)",
            [.text(id.uuidString), .text(purpose.rawValue), .text(wrapped.keyEncryptionKeyId), .bytes(wrapped.blob)])
    }
}
