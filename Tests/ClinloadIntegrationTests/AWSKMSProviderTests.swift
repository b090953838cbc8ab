@testable import ClinloadAWS
import ClinloadCore
import ClinloadCrypto
import ClinloadKeys
import Foundation
import Testing

/// The AWS KMS key provider against moto (an AWS emulator on loopback, see
/// MotoServer), and against endpoints that refuse or never answer. moto does not
/// verify signatures; SigV4Tests checks signing against AWS's own vectors.
@Suite("AWS KMS key provider (moto)")
struct AWSKMSProviderTests {
    static func attribute(_ error: ClinloadError?, _ name: String) -> String? {
        error?.attributes.first { $0.0 == name }?.1
    }

    static func bytes(_ secret: SecretBytes) -> [UInt8] { secret.withUnsafeBytes { Array($0) } }

    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard needle.count <= haystack.count else { return false }
        return (0...(haystack.count - needle.count)).contains { Array(haystack[$0..<($0 + needle.count)]) == needle }
    }

    /// A fresh KMS key in moto, with an alias.
    static func makeKey(_ client: AWSKMSClient) throws -> (metadata: AWSKMSKeyMetadata, alias: String) {
        let metadata = try client.createKey(description: "clinload test key")
        let alias = "alias/clinload-test-\(UUID().uuidString.lowercased().prefix(8))"
        try client.createAlias(aliasName: alias, targetKeyId: metadata.keyId)
        return (metadata, alias)
    }

    // MARK: against moto

    @Test func generatesAndUnwrapsADataKeyThroughAnAlias() throws {
        let client = try MotoServer.client()
        let key = try Self.makeKey(client)
        let provider = try AWSKMSKeyProvider(keyId: key.alias, client: client)
        #expect(provider.keyEncryptionKeyId == key.metadata.arn)
        #expect(provider.configuredKeyId == key.alias)
        #expect(client.operationCounts["DescribeKey"] == 1)

        let context = KeyContext.dataKey(id: UUID(), purpose: "batch")
        let generated = try provider.generateDataKey(context: context)
        #expect(generated.plaintext.count == 32)
        #expect(generated.wrapped.keyEncryptionKeyId == key.metadata.arn)
        #expect(!Self.contains(generated.wrapped.blob, Self.bytes(generated.plaintext)))

        let unwrapped = try provider.unwrap(generated.wrapped, context: context)
        #expect(unwrapped.constantTimeEquals(generated.plaintext))
        // The alias was resolved once; every later call names the ARN.
        #expect(client.operationCounts == ["CreateKey": 1, "CreateAlias": 1, "DescribeKey": 1, "GenerateDataKey": 1, "Decrypt": 1])
    }

    @Test func aKeyARNNeedsNoDescribeKey() throws {
        let client = try MotoServer.client()
        let key = try client.createKey()
        let provider = try AWSKMSKeyProvider(keyId: key.arn, client: client)
        #expect(provider.keyEncryptionKeyId == key.arn)
        #expect(client.operationCounts["DescribeKey"] == nil)
    }

    @Test func unwrappingWithAnotherContextFails() throws {
        let client = try MotoServer.client()
        let provider = try AWSKMSKeyProvider(keyId: Self.makeKey(client).alias, client: client)
        let id = UUID()
        let generated = try provider.generateDataKey(context: .dataKey(id: id, purpose: "batch"))
        let error = #expect(throws: ClinloadError.self) {
            _ = try provider.unwrap(generated.wrapped, context: .dataKey(id: id, purpose: "blind_index"))
        }
        #expect(error?.code == .keyUnwrapFailed)
        #expect(error?.exitStatus == .dataError)
        #expect(Self.attribute(error, "provider") == "aws-kms")
        #expect(Self.attribute(error, "key_id") == provider.keyEncryptionKeyId)
        #expect(Self.attribute(error, "aws_error") == "InvalidCiphertextException")
        // Not retried: a wrong context is not transient.
        #expect(Self.attribute(error, "attempts") == "1")
    }

    @Test func aDataKeyWrappedByAnotherKeyIsRefusedBeforeCallingKMS() throws {
        let client = try MotoServer.client()
        let a = try AWSKMSKeyProvider(keyId: Self.makeKey(client).alias, client: client)
        let b = try AWSKMSKeyProvider(keyId: Self.makeKey(client).alias, client: client)
        let context = KeyContext.dataKey(id: UUID(), purpose: "batch")
        let generated = try a.generateDataKey(context: context)
        let error = #expect(throws: ClinloadError.self) { _ = try b.unwrap(generated.wrapped, context: context) }
        #expect(error?.code == .keyUnwrapFailed)
        #expect(Self.attribute(error, "wrapped_by") == a.keyEncryptionKeyId)
        #expect(client.operationCounts["Decrypt"] == nil)
    }

    @Test func rewrapBetweenKMSKeysUsesReEncryptAndNeverDecrypt() throws {
        let clientA = try MotoServer.client()
        let clientB = try MotoServer.client()
        let a = try AWSKMSKeyProvider(keyId: Self.makeKey(clientA).alias, client: clientA)
        let b = try AWSKMSKeyProvider(keyId: Self.makeKey(clientB).alias, client: clientB)
        let context = KeyContext.dataKey(id: UUID(), purpose: "batch")
        let generated = try a.generateDataKey(context: context)

        let rewrapped = try b.rewrap(generated.wrapped, context: context, from: a)
        #expect(rewrapped.keyEncryptionKeyId == b.keyEncryptionKeyId)
        #expect(rewrapped.blob != generated.wrapped.blob)
        #expect(clientB.operationCounts["ReEncrypt"] == 1)
        #expect(clientA.operationCounts["Decrypt"] == nil && clientB.operationCounts["Decrypt"] == nil)
        #expect(clientA.operationCounts["ReEncrypt"] == nil && clientB.operationCounts["Encrypt"] == nil)

        // The re-wrapped key opens under B to the same plaintext, and not under A.
        let unwrapped = try b.unwrap(rewrapped, context: context)
        #expect(unwrapped.constantTimeEquals(generated.plaintext))
        #expect(throws: ClinloadError.self) { _ = try a.unwrap(rewrapped, context: context) }
        // A re-wrap with another context fails inside KMS.
        let error = #expect(throws: ClinloadError.self) {
            _ = try b.rewrap(generated.wrapped, context: .dataKey(id: UUID(), purpose: "batch"), from: a)
        }
        #expect(error?.code == .keyUnwrapFailed)
    }

    @Test func rewrapBetweenLocalAndKMSGoesThroughMemory() throws {
        let folder = NSTemporaryDirectory() + "/clinload-aws-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let local = try LocalKeyProvider(path: folder + "/master.key")
        let client = try MotoServer.client()
        let kms = try AWSKMSKeyProvider(keyId: Self.makeKey(client).alias, client: client)
        let context = KeyContext.dataKey(id: UUID(), purpose: "blind_index")

        // local → KMS: unwrap locally, Encrypt under the KMS key.
        let fromLocal = try local.generateDataKey(context: context)
        let intoKMS = try kms.rewrap(fromLocal.wrapped, context: context, from: local)
        #expect(intoKMS.keyEncryptionKeyId == kms.keyEncryptionKeyId)
        #expect(client.operationCounts["Encrypt"] == 1)
        #expect(try kms.unwrap(intoKMS, context: context).constantTimeEquals(fromLocal.plaintext))

        // KMS → local: the protocol's default (Decrypt, then wrap locally).
        let back = try local.rewrap(intoKMS, context: context, from: kms)
        #expect(back.keyEncryptionKeyId == local.keyEncryptionKeyId)
        #expect(try local.unwrap(back, context: context).constantTimeEquals(fromLocal.plaintext))
    }

    @Test func anUnknownAliasIsUnavailableAndNamed() throws {
        let client = try MotoServer.client()
        let error = #expect(throws: ClinloadError.self) {
            _ = try AWSKMSKeyProvider(keyId: "alias/clinload-missing-\(UUID().uuidString.prefix(8))", client: client)
        }
        #expect(error?.code == .keyUnavailable)
        #expect(error?.exitStatus == .unavailable)
        #expect(Self.attribute(error, "aws_error") == "NotFoundException")
        #expect(Self.attribute(error, "operation") == "DescribeKey")
        #expect(Self.attribute(error, "key_id")?.hasPrefix("alias/clinload-missing-") == true)
    }

    @Test func aKeyURIWithAnEmulatorEndpointMakesAProvider() throws {
        let client = try MotoServer.client()
        let key = try Self.makeKey(client)
        let endpoint = try MotoServer.endpoint().absoluteString
        let provider = try AWSKMSKeyProvider(uri: "aws-kms:\(key.alias)?region=us-east-1&endpoint=\(endpoint)",
                                             environment: MotoServer.environment)
        #expect(provider.keyEncryptionKeyId == key.metadata.arn)
        let context = KeyContext.dataKey(id: UUID(), purpose: "batch")
        let generated = try provider.generateDataKey(context: context)
        #expect(try provider.unwrap(generated.wrapped, context: context).constantTimeEquals(generated.plaintext))
        // Without credentials in the environment: unavailable (69), named.
        let error = #expect(throws: ClinloadError.self) {
            _ = try AWSKMSKeyProvider(uri: "aws-kms:\(key.alias)?region=us-east-1&endpoint=\(endpoint)", environment: [:])
        }
        #expect(error?.code == .keyUnavailable)
        #expect(Self.attribute(error, "provider") == "aws-kms")
    }

    /// What URLSession actually sends is what was signed: the Host header, the
    /// body (payload hash), the target and the token. A one-shot local server
    /// captures the raw request; its Authorization header must be reproduced
    /// from the wire bytes alone.
    @Test func theRequestOnTheWireIsTheOneSigned() throws {
        let arn = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
        let server = try #require(LoopbackSocket.OneShot(response: #"{"CiphertextBlob":"AQID","KeyId":"\#(arn)"}"#))
        let client = try AWSKMSClient(region: "us-east-1", endpoint: server.endpoint, credentials: MotoServer.credentials)
        let key = SecretBytes(copying: [UInt8](repeating: 7, count: 32))
        let result = try client.encrypt(plaintext: key, keyId: arn, encryptionContext: ["clinload:purpose": "batch"])
        #expect(result.ciphertextBlob == [1, 2, 3])
        #expect(result.keyId == arn)

        let raw = try #require(server.request())
        let text = String(decoding: raw, as: UTF8.self)
        let end = try #require(text.range(of: "\r\n\r\n"))
        var lines = text[..<end.lowerBound].components(separatedBy: "\r\n")
        #expect(lines.removeFirst() == "POST / HTTP/1.1")
        let headers: [(name: String, value: String)] = lines.compactMap { line in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (name: String(line[..<colon]), value: String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespaces))
        }
        func header(_ name: String) -> String? { headers.first { $0.name.lowercased() == name }?.value }
        let body = Array(text[end.upperBound...].utf8)
        let authorization = try #require(header("authorization"))
        let signedNames = try #require(authorization.components(separatedBy: "SignedHeaders=").last?.components(separatedBy: ",").first)
        #expect(signedNames == "content-type;host;x-amz-date;x-amz-security-token;x-amz-target")
        #expect(header("host") == "127.0.0.1:\(server.port)")
        #expect(header("x-amz-target") == "TrentService.Encrypt")
        #expect(header("content-type") == "application/x-amz-json-1.1")
        #expect(header("x-amz-security-token") == "testing")

        let signed = Set(signedNames.split(separator: ";").map(String.init))
        let wire = SigV4Request(method: "POST", path: "/", headers: headers.filter { signed.contains($0.name.lowercased()) }, body: body)
        let again = try SigV4Signer(credentials: MotoServer.credentials, region: "us-east-1", service: "kms").sign(wire)
        #expect(again.authorization == authorization)

        let json = try #require(try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])
        #expect(json["KeyId"] as? String == arn)
        #expect(json["EncryptionContext"] as? [String: String] == ["clinload:purpose": "batch"])
        #expect(json["Plaintext"] as? String == Data(repeating: 7, count: 32).base64EncodedString())
    }

    // MARK: failures of the service

    @Test func anUnreachableEndpointFailsFastAsUnavailable() throws {
        let port = try #require(LoopbackSocket.freePort())
        let client = try AWSKMSClient(region: "us-east-1", endpoint: URL(string: "http://127.0.0.1:\(port)")!,
                                      credentials: MotoServer.credentials)
        let arn = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
        let provider = try AWSKMSKeyProvider(keyId: arn, client: client)   // an ARN: no call yet
        let started = Date()
        let error = #expect(throws: ClinloadError.self) {
            _ = try provider.generateDataKey(context: .dataKey(id: UUID(), purpose: "batch"))
        }
        let elapsed = Date().timeIntervalSince(started)
        #expect(elapsed < 5, "took \(elapsed) s")
        #expect(error?.code == .keyUnavailable)
        #expect(error?.exitStatus == .unavailable)
        #expect(Self.attribute(error, "provider") == "aws-kms")
        #expect(Self.attribute(error, "key_id") == arn)
        #expect(Self.attribute(error, "reason") == "unreachable")
        #expect(Self.attribute(error, "attempts") == "3")
        #expect(error.map { "\($0)" }?.contains("testing") == false)

        // Resolving an alias at start-up fails the same way.
        let aliasError = #expect(throws: ClinloadError.self) { _ = try AWSKMSKeyProvider(keyId: "alias/clinload", client: client) }
        #expect(aliasError?.code == .keyUnavailable)
        #expect(Self.attribute(aliasError, "key_id") == "alias/clinload")
    }

    @Test func anEndpointThatNeverAnswersTimesOutAsUnavailable() throws {
        let listener = try #require(LoopbackSocket.Silent())
        let client = try AWSKMSClient(region: "us-east-1", endpoint: listener.endpoint, credentials: MotoServer.credentials,
                                      options: AWSKMSClient.Options(timeout: 1, maxAttempts: 2, backoff: 0.1))
        let arn = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
        let provider = try AWSKMSKeyProvider(keyId: arn, client: client)
        let started = Date()
        let error = #expect(throws: ClinloadError.self) {
            _ = try provider.unwrap(WrappedDataKey(keyEncryptionKeyId: arn, blob: [1, 2, 3]), context: .dataKey(id: UUID(), purpose: "batch"))
        }
        let elapsed = Date().timeIntervalSince(started)
        #expect(elapsed >= 1.5 && elapsed < 10, "took \(elapsed) s")
        #expect(error?.code == .keyUnavailable)
        #expect(Self.attribute(error, "provider") == "aws-kms")
        #expect(Self.attribute(error, "reason") == "timeout")
        #expect(Self.attribute(error, "operation") == "Decrypt")
        #expect(Self.attribute(error, "attempts") == "2")
    }

    // MARK: key URIs (no service needed)

    @Test func parsesAWSKMSKeyURIs() throws {
        let alias = try AWSKMSKeyReference(uri: "aws-kms:alias/clinload?region=eu-west-1&endpoint=http://127.0.0.1:4566")
        #expect(alias.keyId == "alias/clinload")
        #expect(alias.region == "eu-west-1")
        #expect(alias.endpoint?.absoluteString == "http://127.0.0.1:4566")

        let arn = "arn:aws:kms:us-east-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
        let fromARN = try AWSKMSKeyReference(uri: "aws-kms://\(arn)")
        #expect(fromARN.keyId == arn && fromARN.region == "us-east-2" && fromARN.endpoint == nil)
        #expect(AWSKMSKeyReference.isKeyARN(arn))
        #expect(!AWSKMSKeyReference.isKeyARN("arn:aws:kms:us-east-2:111122223333:alias/clinload"))
        #expect(try AWSKMSKeyReference(uri: "aws-kms:alias/x?endpoint=https://kms.example.internal").endpoint != nil)
        #expect(try AWSKMSKeyReference(uri: "aws-kms:alias/x?endpoint=http://localhost:4566").endpoint != nil)
        #expect(try AWSKMSKeyReference(uri: "aws-kms:alias/x?endpoint=http://[::1]:4566").endpoint != nil)
    }

    @Test(arguments: [
        "aws-kms:",
        "aws-kms:?region=us-east-1",
        "aws-kms:alias/x?endpoint=http://kms.example.com",          // plain HTTP off loopback
        "aws-kms:alias/x?endpoint=http://10.0.0.5:4566",
        "aws-kms:alias/x?endpoint=ftp://127.0.0.1",
        "aws-kms:alias/x?endpoint=https://user:pw@kms.example.com",
        "aws-kms:alias/x?region=US_EAST",
        "aws-kms:alias/x?colour=blue",
        "aws-kms:arn:aws:kms:us-east-2:111122223333:key/k?region=us-east-1",
        "aws-kms:alias/has space",
    ])
    func refusesMalformedKeyURIs(_ uri: String) {
        AWSKMSKeyProvider.registerURIScheme()
        let error = #expect(throws: ClinloadError.self) {
            _ = try KeyProviderURI.provider(for: uri, relativeTo: URL(fileURLWithPath: "/"))
        }
        #expect(error?.code == .keyUriInvalid)
        #expect(error?.exitStatus == .configuration)
    }

    @Test func theRegisteredSchemeReachesTheProvider() throws {
        AWSKMSKeyProvider.registerURIScheme()
        // A closed loopback port: the provider is built and tries to resolve the alias.
        let port = try #require(LoopbackSocket.freePort())
        let error = #expect(throws: ClinloadError.self) {
            _ = try KeyProviderURI.provider(for: "aws-kms:alias/clinload?region=us-east-1&endpoint=http://127.0.0.1:\(port)",
                                            relativeTo: URL(fileURLWithPath: "/"))
        }
        #expect(error?.code == .keyUnavailable)
        #expect(Self.attribute(error, "provider") == "aws-kms")
    }
}
