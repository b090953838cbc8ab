import ClinloadCore
import ClinloadCrypto
import ClinloadKeys
import ClinloadPostgres
import ClinloadStore
import Foundation

/// Decrypts chosen vault columns for a set of patients, in memory, for a caller
/// that transforms them at once (an extract's birth year, ZIP3, and the release
/// gate's list of names to look for). Values of shredded batches read as absent.
struct VaultReader {
    let connection: PostgresConnection
    let ring: KeyRing

    init(connection: PostgresConnection, provider: KeyProvider) {
        self.connection = connection
        ring = KeyRing(connection: connection, provider: provider)
    }

    func read(_ surrogates: [UUID], columns: [String]) throws -> [UUID: [String: String]] {
        var shredded = Set<UUID>()
        return try read(surrogates, columns: columns, shreddedKeys: &shredded)
    }

    /// Also collects the ids of the shredded data keys met (their values read as absent).
    func read(_ surrogates: [UUID], columns: [String], shreddedKeys: inout Set<UUID>) throws -> [UUID: [String: String]] {
        var out: [UUID: [String: String]] = [:]
        var openers: [UUID: IdentifierOpener?] = [:]
        for start in stride(from: 0, to: surrogates.count, by: 1000) {
            let slice = surrogates[start..<min(start + 1000, surrogates.count)]
            let rows = try connection.query("""
                SELECT surrogate_id::text, \(columns.map { "\"\($0)\"" }.joined(separator: ", ")) FROM identity.patient
                WHERE surrogate_id = ANY($1::uuid[])
                """, [.text("{" + slice.map(\.uuidString).joined(separator: ",") + "}")])
            for r in 0..<rows.rowCount {
                guard let surrogate = rows.uuid(r, 0) else { continue }
                var values: [String: String] = [:]
                for (c, column) in columns.enumerated() {
                    guard let ciphertext = rows.bytes(r, c + 1) else { continue }
                    let keyId = try IdentifierCiphertext.keyId(of: ciphertext)
                    if openers[keyId] == nil {
                        do {
                            let key = try ring.dataKey(id: keyId)
                            openers[keyId] = try IdentifierOpener(dataKey: key.plaintext, keyId: keyId)
                        } catch let error as ClinloadError where error.code == .keyShredded {
                            openers[keyId] = .some(nil)
                        }
                    }
                    guard let opener = openers[keyId] ?? nil else { shreddedKeys.insert(keyId); continue }
                    var plaintext = try opener.open(ciphertext, column: IdentifierColumn(table: "identity.patient", column: column), surrogate: surrogate)
                    values[column] = String(decoding: plaintext, as: UTF8.self)
                    plaintext.secureWipe()
                }
                out[surrogate] = values
            }
        }
        return out
    }
}
