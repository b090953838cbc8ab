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
        let rows = try connection.query("""
            SELECT blind_index, surrogate_id::text FROM \(identityTable) WHERE blind_index = ANY($1::bytea[])
            """, [.text(Self.byteaArrayLiteral(blindIndexes))])
        var out: [[UInt8]: UUID] = [:]
        for r in 0..<rows.rowCount {
            if let key = rows.bytes(r, 0), let id = rows.string(r, 1).flatMap(UUID.init(uuidString:)) { out[key] = id }
        }
        return out
    }

    /// A bytea[] literal: {"\\x00ff...",...}; hex digits need no further escaping.
    public static func byteaArrayLiteral(_ values: [[UInt8]]) -> String {
        var literal = "{"
        for (i, b) in values.enumerated() {
            if i > 0 { literal += "," }
            literal += "\"\\\\x" + b.hexString + "\""
        }
        return literal + "}"
    }
}
