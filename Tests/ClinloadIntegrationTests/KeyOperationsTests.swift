import ClinloadCore
import ClinloadCrypto
import ClinloadEngine
import ClinloadKeys
import ClinloadPostgres
import ClinloadStore
import Foundation
import Testing

/// Key commitment, audited reveal, crypto-shredding and rotation, against the
/// real store, with the local key provider (the AWS KMS provider has its own
/// suite against moto).
@Suite("Keys: commitment, reveal, shred, rotate")
struct KeyOperationsTests {
    /// Loads the corpus patients; returns the surrogate and the file row of the first record.
    func loaded(_ store: TestStore) throws -> (batch: UUID, surrogate: UUID, row: [String: String]) {
        let outcome = try store.run(Repository.syntheaPatients.path)
        #expect(outcome.status == .loaded)
        let rows = FixtureCSV.rows(try String(contentsOfFile: Repository.syntheaPatients.path, encoding: .utf8))
        let connection = try store.connect()
        defer { connection.close() }
        let surrogate = try #require(try connection.query("SELECT surrogate_id::text FROM identity.patient WHERE source_ordinal = 1")
            .string(0, 0).flatMap(UUID.init(uuidString:)))
        return (outcome.batchId!, surrogate, Dictionary(uniqueKeysWithValues: zip(rows[0], rows[1])))
    }

    @Test func revealDecryptsOnePatientForAReasonAndAuditsItWithoutValues() throws {
        let store = try TestStore()
        defer { store.cleanUp() }
        let (_, surrogate, row) = try loaded(store)
        let connection = try store.connect()
        defer { connection.close() }
        #expect(throws: ClinloadError.self) {
            _ = try IdentityReveal.reveal(surrogate: surrogate, reason: "  ", connection: connection, provider: try store.keyProvider())
        }
        let reason = "chart correction requested by ward 4 (ticket 1182)"
        let revealed = try IdentityReveal.reveal(surrogate: surrogate, reason: reason, connection: connection, provider: try store.keyProvider())
        let values = Dictionary(uniqueKeysWithValues: revealed.values.compactMap { c, v in v.map { (c, $0) } })
        #expect(values["ssn"] == row["SSN"])
        #expect(values["family_name"] == row["LAST"])
        #expect(values["source_id"] == row["Id"])
        let audit = try connection.query("SELECT payload FROM etl.audit_log WHERE event = 'identity_revealed'")
        #expect(audit.rowCount == 1)
        let payload = audit.string(0, 0) ?? ""
        #expect(payload.contains(surrogate.uuidString.lowercased()) && payload.contains(reason) && payload.contains("\"actor\""))
        for value in values.values where value.count >= 4 { #expect(!payload.contains(value)) }
        if case .broken = try AuditVerifier(connection: connection).verify() { Issue.record("the audit chain broke") }
    }

    @Test func aTamperedCommitmentOrASubstitutedWrappedKeyIsCaughtBeforeUse() throws {
        let store = try TestStore()
        defer { store.cleanUp() }
        let (batch, _, _) = try loaded(store)
        _ = try store.run(try store.generated(rows: 20, seed: 3))     // a second batch, a second key
        let connection = try store.connect()
        defer { connection.close() }
        let ring = KeyRing(connection: connection, provider: try store.keyProvider())
        let keyId = try #require(try connection.query("SELECT data_key_id::text FROM etl.batches WHERE batch_id = $1::uuid",
                                                      [.text(batch.uuidString)]).string(0, 0).flatMap(UUID.init(uuidString:)))
        _ = try ring.dataKey(id: keyId)

        // A commitment changed by one bit: caught after unwrap, before any decryption.
        try connection.execute("UPDATE etl.data_keys SET commitment = set_byte(commitment, 0, get_byte(commitment, 0) # 1) WHERE key_id = '\(keyId)'")
        #expect { _ = try ring.dataKey(id: keyId) } throws: { error in
            guard let error = error as? ClinloadError else { return false }
            return error.code == .keyUnwrapFailed && error.attributes.contains { $0.0 == "rule" && $0.1 == "commitment_mismatch" }
        }
        try connection.execute("UPDATE etl.data_keys SET commitment = set_byte(commitment, 0, get_byte(commitment, 0) # 1) WHERE key_id = '\(keyId)'")
        _ = try ring.dataKey(id: keyId)

        // The other batch's wrapped key and commitment put in this key's row: the
        // context (key id, batch, pipeline) no longer matches, so it does not unwrap.
        try connection.execute("""
            UPDATE etl.data_keys d SET wrapped = o.wrapped, commitment = o.commitment FROM etl.data_keys o
            WHERE d.key_id = '\(keyId)' AND o.purpose = 'batch' AND o.key_id <> d.key_id
            """)
        #expect(throws: ClinloadError.self) { _ = try ring.dataKey(id: keyId) }
    }

    @Test func aShreddedBatchCannotBeRevealedAndItsClinicalRowsStay() throws {
        let store = try TestStore()
        defer { store.cleanUp() }
        let (batch, surrogate, _) = try loaded(store)
        let connection = try store.connect()
        defer { connection.close() }
        let result = try CryptoShredder.shred(batchId: batch, reason: "retention period of the 2019 feed ended", connection: connection)
        #expect(!result.alreadyShredded && result.identityRows == 27)
        #expect(try store.count("SELECT count(*) FROM etl.data_keys WHERE shredded_at IS NOT NULL AND length(wrapped) = 0") == 1)
        #expect(try store.count("SELECT count(*) FROM clinical.patient") == 27)

        let revealed = try IdentityReveal.reveal(surrogate: surrogate, reason: "erasure request verification", connection: connection,
                                                 provider: try store.keyProvider())
        #expect(revealed.values.allSatisfy { $0.value == nil })
        #expect(revealed.shreddedBatches == [batch])
        #expect(try CryptoShredder.shred(batchId: batch, reason: "retention period of the 2019 feed ended", connection: connection).alreadyShredded)
        #expect(try store.count("SELECT count(*) FROM etl.audit_log WHERE event = 'batch_shredded'") == 1)
    }

    @Test func rotationRewrapsEveryKeyAndTheOldKeyIsNoLongerNeeded() throws {
        let store = try TestStore()
        defer { store.cleanUp() }
        let (_, surrogate, row) = try loaded(store)
        _ = try store.run(try store.generated(rows: 30, seed: 4))
        let connection = try store.connect()
        defer { connection.close() }
        let oldProvider = try store.keyProvider()
        let newPath = store.folder.appendingPathComponent("new-master.key").path
        let newProvider = try KeyProviderURI.provider(for: "local:" + newPath, relativeTo: store.folder, createIfMissing: true)
        let before = try store.count("SELECT count(*) FROM etl.data_keys")
        #expect(before == 3)     // two batch keys and the blind-index key

        let result = try KeyRotation.rotate(connection: connection, from: oldProvider, to: newProvider)
        #expect(result.rotated == 3 && result.otherKEK == 0)
        #expect(try store.count("SELECT count(*) FROM etl.data_keys WHERE kek_id = $1", [.text(newProvider.keyEncryptionKeyId)]) == 3)
        // Idempotent: a second run finds nothing left to do.
        let again = try KeyRotation.rotate(connection: connection, from: oldProvider, to: newProvider)
        #expect(again.rotated == 0 && again.alreadyRotated == 3)

        // The old master key is gone; everything still decrypts with the new one,
        // and the blind index still finds known patients.
        try FileManager.default.removeItem(atPath: String(store.keyURI.dropFirst("local:".count)))
        let revealed = try IdentityReveal.reveal(surrogate: surrogate, reason: "verification after key rotation", connection: connection,
                                                 provider: newProvider)
        #expect(revealed.values.first { $0.column == "ssn" }?.value == row["SSN"])
        #expect(try store.count("SELECT count(*) FROM etl.audit_log WHERE event = 'keys_rotated'") == 2)
        #expect(try store.count("SELECT count(*) FROM identity.patient") == 57)
    }
}

@Suite("Keys from the command line")
struct KeyCommandLineTests {
    @Test func revealShredAndRotateAsAnOperatorRunsThem() throws {
        let store = try TestStore()
        defer { store.cleanUp() }
        let common = ["--pipelines", Repository.pipelines.path, "--database-url", store.url, "--key-uri", store.keyURI, "--home", store.folder.path]
        let global = Array(common.dropFirst(2))
        #expect(try CLI.run(["run", "synthea_patients", Repository.syntheaPatients.path] + common, in: store.folder).status == 0)
        let connection = try store.connect()
        defer { connection.close() }
        let surrogate = try connection.query("SELECT surrogate_id::text FROM identity.patient WHERE source_ordinal = 1").string(0, 0) ?? ""
        let batch = try connection.query("SELECT batch_id::text FROM etl.batches").string(0, 0) ?? ""
        let ssn = FixtureCSV.rows(try String(contentsOfFile: Repository.syntheaPatients.path, encoding: .utf8))[1][3]

        // No reason, no reveal; not a terminal, no reveal.
        #expect(try CLI.run(["reveal", "--patient", surrogate] + global, in: store.folder).status == ExitStatus.usage.rawValue)
        let piped = try CLI.run(["reveal", "--patient", surrogate, "--reason", "chart correction ticket 77"] + global, in: store.folder)
        #expect(piped.status == ExitStatus.usage.rawValue && !piped.stdout.contains(ssn))
        let revealed = try CLI.run(["reveal", "--patient", surrogate, "--reason", "chart correction ticket 77", "--no-tty-check"] + global,
                                   in: store.folder)
        #expect(revealed.status == 0 && revealed.stdout.contains(ssn), "\(revealed.stderr)")
        #expect(!revealed.stderr.contains(ssn))

        // Rotate to a new local key, then work with the new key only.
        let newKey = "local:" + store.folder.appendingPathComponent("next.key").path
        let rotated = try CLI.run(["keys", "rotate", "--to", newKey] + global, in: store.folder)
        #expect(rotated.status == 0 && rotated.stdout.contains("rotated 2 data keys"), "\(rotated.stdout) \(rotated.stderr)")
        try FileManager.default.removeItem(atPath: String(store.keyURI.dropFirst("local:".count)))
        var withNewKey = global
        withNewKey[withNewKey.firstIndex(of: store.keyURI)!] = newKey
        let list = try CLI.run(["keys", "list"] + withNewKey, in: store.folder)
        #expect(list.stdout.contains("blind_index") && list.stdout.contains("batch"))
        #expect(try CLI.run(["reveal", "--patient", surrogate, "--reason", "check after key rotation", "--no-tty-check"] + withNewKey,
                            in: store.folder).stdout.contains(ssn))

        // Shred the batch: reveal can no longer show the identifiers, and says why.
        let shred = try CLI.run(["shred", "--batch", batch, "--reason", "retention period ended for this feed"] + withNewKey, in: store.folder)
        #expect(shred.status == 0 && shred.stdout.contains("27 vault rows are now unreadable"), "\(shred.stdout) \(shred.stderr)")
        let after = try CLI.run(["reveal", "--patient", surrogate, "--reason", "erasure verification run", "--no-tty-check"] + withNewKey,
                                in: store.folder)
        #expect(after.status == ExitStatus.dataError.rawValue && !after.stdout.contains(ssn) && after.stdout.contains("crypto-shredded"))
        // Every one of these is in the audit trail, and the chain holds.
        #expect(try store.count("""
            SELECT count(*) FROM etl.audit_log WHERE event IN ('identity_revealed', 'keys_rotated', 'batch_shredded')
            """) == 5)
        #expect(try CLI.run(["audit", "verify"] + withNewKey, in: store.folder).status == 0)
    }
}
