import ClinloadCrypto
import ClinloadPostgres
import Foundation

/// Finds patients in the vault by blind index: how a feed that refers to
/// patients (and one that defines them) recognises someone already known,
/// without decrypting anything.
public struct VaultLookup {
    public let connection: PostgresConnection
    /// `schema.table`, checked to be plain identifiers by the pipeline lint.
    public let identityTable: String

    public init(connection: PostgresConnection, identityTable: String) {
        self.connection = connection
        self.identityTable = identityTable
    }

    /// The surrogates already assigned to these blind indexes (committed rows).
    public func surrogates(blindIndexes: [[UInt8]]) throws -> [[UInt8]: UUID] {
        guard !blindIndexes.isEmpty else { return [:] }
        let rows = try Self.byIndex(connection) {
            try connection.query("""
                SELECT blind_index, surrogate_id::text FROM \(identityTable) WHERE blind_index = ANY($1::bytea[])
                """, [.byteaArray(blindIndexes)])
        }
        var out: [[UInt8]: UUID] = [:]
        for r in 0..<rows.rowCount {
            if let key = rows.bytes(r, 0), let id = rows.string(r, 1).flatMap(UUID.init(uuidString:)) { out[key] = id }
        }
        return out
    }

    /// Runs a look-up by blind index (inside the batch's transaction) with
    /// sequential scans ruled out. A vault table filled by this very transaction
    /// has no statistics yet, so the planner scans it whole for each chunk's
    /// thousands of keys: a cost that grows with every chunk (measured: 65 ms per
    /// look-up at 100,000 rows, against 32 ms through the blind-index btree, whose
    /// cost barely grows).
    public static func byIndex<R>(_ connection: PostgresConnection, _ lookup: () throws -> R) throws -> R {
        try connection.execute("SET LOCAL enable_seqscan = off")
        let result = try lookup()
        try connection.execute("SET LOCAL enable_seqscan TO DEFAULT")
        return result
    }

    /// `byIndex` for a look-up sent without waiting (`PostgresConnection.sendQuery`):
    /// three sent statements, the look-up's rows the only ones kept.
    public static func sendByIndex(_ connection: PostgresConnection, _ sql: String, _ parameters: [PostgresParameter]) throws {
        try connection.send("SET LOCAL enable_seqscan = off")
        try connection.sendQuery(sql, parameters)
        try connection.send("SET LOCAL enable_seqscan TO DEFAULT")
    }
}
