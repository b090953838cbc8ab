import ClinloadAWS
import ClinloadCore
import ClinloadEngine
import ClinloadKeys
import ClinloadPostgres
import ClinloadStore
import Foundation
import Testing

/// Batches under AWS KMS (moto_server on loopback, started by the tests): load,
/// reveal, rotate between two KMS keys with ReEncrypt only, and KMS down.
@Suite("Batches under AWS KMS (moto)", .serialized)
struct AWSKMSBatchTests {
    init() {
        // The provider reads credentials from the usual variables; moto accepts any.
        for (name, value) in MotoServer.environment { setenv(name, value, 1) }
    }

    func uri(_ key: String) throws -> String {
        "aws-kms:\(key)?region=\(MotoServer.region)&endpoint=\(try MotoServer.endpoint().absoluteString)"
    }

    @Test func aBatchUnderKMSRevealsAndRotationToAnotherKMSKeyNeverDecrypts() throws {
        let admin = try MotoServer.client()
        let keyA = try admin.createKey(description: "clinload test A").arn
        let keyB = try admin.createKey(description: "clinload test B").arn
        let store = try TestStore(keyURI: try uri(keyA))
        defer { store.cleanUp() }
        let outcome = try store.run(Repository.syntheaPatients.path)
        #expect(outcome.status == .loaded, "\(String(describing: outcome.error))")
        let connection = try store.connect()
        defer { connection.close() }
        #expect(try store.count("SELECT count(*) FROM etl.data_keys WHERE kek_id = $1", [.text(keyA)]) == 2)
        let surrogate = try #require(try connection.query("SELECT surrogate_id::text FROM identity.patient WHERE source_ordinal = 1")
            .string(0, 0).flatMap(UUID.init(uuidString:)))
        let ssn = FixtureCSV.rows(try String(contentsOfFile: Repository.syntheaPatients.path, encoding: .utf8))[1][3]
        let underA = try IdentityReveal.reveal(surrogate: surrogate, reason: "verification under KMS key A", connection: connection,
                                               provider: try store.keyProvider())
        #expect(underA.values.first { $0.column == "ssn" }?.value == ssn)

        // Rotate A → B with clients that count their calls.
        let clientA = try MotoServer.client()
        let clientB = try MotoServer.client()
        let source = try AWSKMSKeyProvider(keyId: keyA, client: clientA)
        let target = try AWSKMSKeyProvider(keyId: keyB, client: clientB)
        let result = try KeyRotation.rotate(connection: connection, from: source, to: target)
        #expect(result.rotated == 2)
        #expect(clientA.operationCounts["Decrypt", default: 0] + clientB.operationCounts["Decrypt", default: 0] == 0)
        #expect(clientA.operationCounts["ReEncrypt", default: 0] + clientB.operationCounts["ReEncrypt", default: 0] == 2)

        // Only key B from now on: every identifier still decrypts; key A cannot.
        let onlyB = try RunEnvironment.provider(uri: try uri(keyB), createIfMissing: false)
        let underB = try IdentityReveal.reveal(surrogate: surrogate, reason: "verification under KMS key B", connection: connection,
                                               provider: onlyB)
        #expect(underB.values.map(\.value) == underA.values.map(\.value))
        #expect(throws: ClinloadError.self) { _ = try KeyRing(connection: connection, provider: source).blindIndexKey() }
        // And loading continues under B: the blind index still finds the same patients.
        let again = TestStore.with(store, keyURI: try uri(keyB))
        let second = try again.run(try store.generated(rows: 10, seed: 2))
        #expect(second.status == .loaded)
        #expect(try store.count("SELECT count(*) FROM etl.data_keys WHERE kek_id = $1", [.text(keyB)]) == 3)
    }

    @Test func kmsUnreachableFailsTheBatchBeforeAnyRowIsWritten() throws {
        // A key ARN needs no lookup at start; the first call (a data key) meets a closed port.
        let closed = "aws-kms:arn:aws:kms:us-east-1:111122223333:key/0b6c2a9e-7f3d-4a53-9d65-2b1c6c1f2a10?region=us-east-1&endpoint=http://127.0.0.1:9"
        let store = try TestStore(keyURI: closed)
        defer { store.cleanUp() }
        let started = Date()
        let outcome = try store.run(Repository.syntheaPatients.path)
        #expect(outcome.status == .failed)
        #expect(outcome.error?.code == .keyUnavailable)
        #expect(outcome.error?.exitStatus == .unavailable)
        #expect(outcome.error?.attributes.contains { $0.0 == "provider" && $0.1 == "aws-kms" } == true)
        #expect(Date().timeIntervalSince(started) < 30)
        for table in ["identity.patient", "clinical.patient", "etl.data_keys", "etl.quarantine"] {
            #expect(try store.count("SELECT count(*) FROM \(table)") == 0, "\(table)")
        }
    }
}

extension TestStore {
    /// The same database and folder, another key URI.
    static func with(_ store: TestStore, keyURI: String) -> TestStore {
        TestStore(url: store.url, folder: store.folder, customKeyURI: keyURI)
    }
}
