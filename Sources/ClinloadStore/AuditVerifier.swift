import ClinloadCore
import ClinloadCrypto
import ClinloadPostgres
import Foundation

/// Walks the whole audit chain and names the first entry that does not hold:
/// a gap in the sequence, a link that does not point at the previous entry's
/// hash, a hash that does not match its payload, or a payload whose sequence
/// number or event disagrees with its row. Reads in pages, so memory stays flat.
public struct AuditVerifier {
    public let connection: PostgresConnection
    static let pageSize = 5000

    public init(connection: PostgresConnection) { self.connection = connection }

    public enum Verdict: Sendable, Equatable {
        case intact(entries: Int, head: [UInt8])
        case broken(seq: Int, reason: Reason)
    }

    public enum Reason: String, Sendable {
        /// An entry is missing (the sequence jumps).
        case missingEntry = "missing_entry"
        /// prev_hash is not the previous entry's hash.
        case brokenLink = "broken_link"
        /// entry_hash is not SHA-256(prev_hash ‖ payload).
        case hashMismatch = "hash_mismatch"
        /// The hashed payload disagrees with the row's columns.
        case payloadMismatch = "payload_mismatch"
    }

    public func verify() throws -> Verdict {
        var expectedSeq = 1
        var previous = AuditLog.genesisHash
        while true {
            let rows = try connection.query("""
                SELECT seq, event, payload, prev_hash, entry_hash FROM etl.audit_log WHERE seq >= $1 ORDER BY seq LIMIT $2
                """, [.int(expectedSeq), .int(Self.pageSize)])
            if rows.rowCount == 0 { break }
            for r in 0..<rows.rowCount {
                let seq = rows.int(r, 0)!
                guard seq == expectedSeq else { return .broken(seq: expectedSeq, reason: .missingEntry) }
                guard rows.bytes(r, 3) == previous else { return .broken(seq: seq, reason: .brokenLink) }
                let payload = rows.string(r, 2)!
                let hash = AuditLog.chainHash(previous: previous, payload: payload)
                guard rows.bytes(r, 4) == hash else { return .broken(seq: seq, reason: .hashMismatch) }
                guard Self.payload(payload, matchesSeq: seq, event: rows.string(r, 1)!) else {
                    return .broken(seq: seq, reason: .payloadMismatch)
                }
                previous = hash
                expectedSeq += 1
            }
        }
        return .intact(entries: expectedSeq - 1, head: previous)
    }

    static func payload(_ payload: String, matchesSeq seq: Int, event: String) -> Bool {
        guard let object = try? JSONSerialization.jsonObject(with: Data(payload.utf8)) as? [String: Any] else { return false }
        return (object["seq"] as? Int) == seq && (object["event"] as? String) == event
    }
}
