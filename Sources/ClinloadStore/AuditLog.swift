import ClinloadCore
import ClinloadCrypto
import ClinloadPostgres
import Foundation

/// The hash-chained audit trail in `etl.audit_log`.
///
/// Each entry's hash is SHA-256(previous hash ‖ canonical JSON payload), the first
/// entry chaining to 32 zero bytes. Appends are serialised by a transaction-level
/// advisory lock, so the chain never forks; the table itself refuses UPDATE,
/// DELETE and TRUNCATE. Entries hold events, ids, codes and counts — never values.
public struct AuditLog {
    public let connection: PostgresConnection
    static let lockKey = 0x636C_6E6C_6175_6469 // "clnlaudi"
    public static let genesisHash = [UInt8](repeating: 0, count: 32)

    public init(connection: PostgresConnection) { self.connection = connection }

    public struct Entry: Sendable {
        public var seq: Int
        public var event: String
        public var payload: String
        public var entryHash: [UInt8]
    }

    /// Appends an event inside the caller's transaction (the caller commits it
    /// together with the change it records). Returns the new chain head.
    @discardableResult
    public func append(event: String, batchId: UUID? = nil, details: [String: CanonicalJSON]) throws -> Entry {
        try connection.query("SELECT pg_advisory_xact_lock($1)", [.int(Self.lockKey)])
        let head = try connection.query("SELECT seq, entry_hash FROM etl.audit_log ORDER BY seq DESC LIMIT 1")
        let seq = (head.rowCount == 1 ? head.int(0, 0)! : 0) + 1
        let previous = head.rowCount == 1 ? head.bytes(0, 1)! : Self.genesisHash
        // Time from the database clock (one clock for every writer), and the actor
        // as both the operating-system account and the database role.
        let now = try connection.query("""
            SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), current_user
            """)
        let occurredAt = now.string(0, 0)!
        let actor = Self.currentActor + " db:" + now.string(0, 1)!
        var members: [String: CanonicalJSON] = [
            "seq": .int(seq), "event": .string(event), "occurred_at": .string(occurredAt),
            "actor": .string(actor), "details": .object(details), "tool_version": .string(ToolVersion.current),
        ]
        members["batch_id"] = batchId.map { .string($0.uuidString.lowercased()) } ?? .null
        let payload = CanonicalJSON.object(members).text
        let hash = Self.chainHash(previous: previous, payload: payload)
        try connection.query("""
            INSERT INTO etl.audit_log (seq, occurred_at, event, actor, batch_id, payload, prev_hash, entry_hash)
            VALUES ($1, $2::timestamptz, $3, $4, $5::uuid, $6, $7, $8)
            """, [.int(seq), .text(occurredAt), .text(event), .text(actor),
                  batchId.map { .text($0.uuidString) } ?? .null, .text(payload), .bytes(previous), .bytes(hash)])
        return Entry(seq: seq, event: event, payload: payload, entryHash: hash)
    }

    /// The newest entry's hash (for external anchoring), or the genesis hash.
    public func head() throws -> (seq: Int, hash: [UInt8]) {
        let head = try connection.query("SELECT seq, entry_hash FROM etl.audit_log ORDER BY seq DESC LIMIT 1")
        return head.rowCount == 1 ? (head.int(0, 0)!, head.bytes(0, 1)!) : (0, Self.genesisHash)
    }

    public static func chainHash(previous: [UInt8], payload: String) -> [UInt8] {
        let digest = SHA256Digest()
        digest.update(previous)
        digest.update(payload)
        return digest.finish()
    }

    /// The operating-system account running clinload.
    public static var currentActor: String {
        if let pw = getpwuid(geteuid()), let name = pw.pointee.pw_name { return "os:" + String(cString: name) }
        return "uid:\(geteuid())"
    }
}
