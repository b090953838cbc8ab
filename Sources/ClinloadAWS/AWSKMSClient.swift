import ClinloadCore
import ClinloadCrypto
import ClinloadKeys
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#endif

/// The few AWS KMS operations clinload needs, over the KMS JSON 1.1 protocol:
/// `POST /` with `X-Amz-Target: TrentService.<Operation>` and
/// `Content-Type: application/x-amz-json-1.1`, signed with SigV4 (service `kms`).
///
/// Synchronous (the key provider protocol is), with a per-attempt timeout
/// (default 10 s, connect and read) and at most `maxAttempts` attempts (default
/// 3) with jittered exponential backoff on throttling, 5xx and network failures.
/// Every failure is a `ClinloadError` naming the provider, key, operation and the
/// AWS error type — never a credential, a message text from AWS or key material:
///
/// - unreachable, timed out, throttled, 5xx, access denied, key not found,
///   disabled or pending deletion → `.keyUnavailable` (exit 69: retry later or
///   fix access);
/// - a ciphertext that does not decrypt under the key and encryption context
///   (`InvalidCiphertextException`, `IncorrectKeyException`) → `.keyUnwrapFailed`.
///
/// Plaintext keys go from the response bytes straight into `SecretBytes`; the
/// request and response buffers this client owns are wiped when released (see
/// `SecureBuffer`, `HTTPTransport`).
public final class AWSKMSClient: @unchecked Sendable {
    public struct Options: Sendable {
        /// Per attempt: the time to connect and to get the whole answer.
        public var timeout: TimeInterval
        /// Attempts in all (1 = no retry).
        public var maxAttempts: Int
        /// The first backoff; doubled for each further attempt, jittered.
        public var backoff: TimeInterval

        public init(timeout: TimeInterval = 10, maxAttempts: Int = 3, backoff: TimeInterval = 0.2) {
            self.timeout = timeout
            self.maxAttempts = max(1, min(maxAttempts, 3))
            self.backoff = backoff
        }
    }

    public static let providerName = "aws-kms"

    public let region: String
    public let endpoint: URL
    public let options: Options
    let signer: SigV4Signer
    private let transport: HTTPTransport
    private let hostHeader: String
    private let countsLock = NSLock()
    private var counts: [String: Int] = [:]

    /// Calls made per operation ("GenerateDataKey", "Decrypt", "ReEncrypt"...), one
    /// per call whatever the number of attempts — so a test can prove a rotation
    /// used ReEncrypt and never Decrypt.
    public var operationCounts: [String: Int] {
        countsLock.lock()
        defer { countsLock.unlock() }
        return counts
    }

    /// A client with explicit credentials. `endpoint` defaults to
    /// `https://kms.REGION.amazonaws.com`; an `http://` endpoint is refused
    /// (`.keyUriInvalid`) unless its host is loopback (an emulator).
    public init(region: String, endpoint: URL? = nil, credentials: AWSCredentials, options: Options = Options()) throws {
        guard !region.isEmpty, region.utf8.count <= 32,
              region.utf8.allSatisfy({ (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x2D })
        else {
            throw ClinloadError(.keyUriInvalid, stage: .configuration, "the AWS region is malformed",
                                attributes: [("provider", Self.providerName)])
        }
        let url = try AWSKMSKeyReference.validatedEndpoint((endpoint ?? Self.defaultEndpoint(region: region)).absoluteString)
        guard var components = URLComponents(url: url, resolvingAgainstBaseURL: false), let host = components.host else {
            throw ClinloadError(.keyUriInvalid, stage: .configuration, "the aws-kms endpoint must be a URL like https://HOST[:PORT]")
        }
        components.path = "/"
        self.region = region
        self.endpoint = components.url ?? url
        self.options = options
        let bracketed = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        let defaultPort = components.scheme?.lowercased() == "http" ? 80 : 443
        hostHeader = components.port.map { $0 == defaultPort ? bracketed : "\(bracketed):\($0)" } ?? bracketed
        signer = SigV4Signer(credentials: credentials, region: region, service: "kms")
        transport = HTTPTransport(timeout: options.timeout)
    }

    /// A client whose credentials (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
    /// AWS_SESSION_TOKEN) and — unless given — region (AWS_REGION, then
    /// AWS_DEFAULT_REGION) come from `environment`.
    public convenience init(region: String? = nil, endpoint: URL? = nil,
                            environment: [String: String] = ProcessInfo.processInfo.environment,
                            options: Options = Options()) throws {
        guard let resolvedRegion = region ?? environment["AWS_REGION"].flatMap({ $0.isEmpty ? nil : $0 })
            ?? environment["AWS_DEFAULT_REGION"].flatMap({ $0.isEmpty ? nil : $0 })
        else {
            throw ClinloadError(.keyUriInvalid, stage: .configuration,
                                "no AWS region: give region= in the key URI, a key ARN, or set AWS_REGION",
                                attributes: [("provider", Self.providerName)])
        }
        guard let credentials = AWSCredentials.fromEnvironment(environment) else {
            throw ClinloadError(.keyUnavailable, stage: .keys,
                                "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary credentials)",
                                attributes: [("provider", Self.providerName)])
        }
        try self.init(region: resolvedRegion, endpoint: endpoint, credentials: credentials, options: options)
    }

    public static func defaultEndpoint(region: String) -> URL {
        let suffix = region.hasPrefix("cn-") ? "amazonaws.com.cn" : "amazonaws.com"
        return URL(string: "https://kms.\(region).\(suffix)/")!
    }

    /// Whether `other` talks to the same service (endpoint and region), so a
    /// ciphertext of one of its keys can be re-encrypted server-side here.
    public func sharesService(with other: AWSKMSClient) -> Bool {
        endpoint == other.endpoint && region == other.region
    }

    // MARK: operations

    /// GenerateDataKey, KeySpec AES_256.
    public func generateDataKey(keyId: String, encryptionContext: [String: String]) throws -> AWSKMSDataKey {
        let body = try call("GenerateDataKey", keyId: keyId) { w in
            w.string("KeyId", keyId)
            w.string("KeySpec", "AES_256")
            if !encryptionContext.isEmpty { w.stringMap("EncryptionContext", encryptionContext) }
        }
        let (plaintext, ciphertext, arn) = try readKeyResponse(body, operation: "GenerateDataKey", keyId: keyId, wantsCiphertext: true)
        return AWSKMSDataKey(plaintext: plaintext, ciphertextBlob: ciphertext, keyId: arn ?? keyId)
    }

    /// Decrypt. `keyId` (recommended) makes KMS refuse a ciphertext of another key.
    public func decrypt(ciphertextBlob: [UInt8], keyId: String?, encryptionContext: [String: String]) throws -> (plaintext: SecretBytes, keyId: String?) {
        let body = try call("Decrypt", keyId: keyId ?? "(from ciphertext)") { w in
            w.string("CiphertextBlob", Base64.encode(ciphertextBlob))
            if let keyId { w.string("KeyId", keyId) }
            if !encryptionContext.isEmpty { w.stringMap("EncryptionContext", encryptionContext) }
        }
        let (plaintext, _, arn) = try readKeyResponse(body, operation: "Decrypt", keyId: keyId ?? "", wantsCiphertext: false)
        return (plaintext, arn)
    }

    /// Encrypt a (key-sized) plaintext under `keyId`.
    public func encrypt(plaintext: SecretBytes, keyId: String, encryptionContext: [String: String]) throws -> AWSKMSCiphertext {
        let body = try call("Encrypt", keyId: keyId) { w in
            w.string("KeyId", keyId)
            plaintext.withUnsafeBytes { w.base64("Plaintext", $0) }
            if !encryptionContext.isEmpty { w.stringMap("EncryptionContext", encryptionContext) }
        }
        return try readCiphertextResponse(body, operation: "Encrypt", keyId: keyId)
    }

    /// ReEncrypt: decrypts under the source key and encrypts under the destination
    /// key inside KMS; the plaintext never leaves the service.
    public func reEncrypt(ciphertextBlob: [UInt8], sourceKeyId: String?, sourceEncryptionContext: [String: String],
                          destinationKeyId: String, destinationEncryptionContext: [String: String]) throws -> AWSKMSCiphertext {
        let body = try call("ReEncrypt", keyId: destinationKeyId) { w in
            w.string("CiphertextBlob", Base64.encode(ciphertextBlob))
            if let sourceKeyId { w.string("SourceKeyId", sourceKeyId) }
            if !sourceEncryptionContext.isEmpty { w.stringMap("SourceEncryptionContext", sourceEncryptionContext) }
            w.string("DestinationKeyId", destinationKeyId)
            if !destinationEncryptionContext.isEmpty { w.stringMap("DestinationEncryptionContext", destinationEncryptionContext) }
        }
        return try readCiphertextResponse(body, operation: "ReEncrypt", keyId: destinationKeyId)
    }

    /// DescribeKey: resolves an alias, alias ARN or key id to the key's metadata.
    public func describeKey(keyId: String) throws -> AWSKMSKeyMetadata {
        let body = try call("DescribeKey", keyId: keyId) { w in w.string("KeyId", keyId) }
        return try readKeyMetadata(body, operation: "DescribeKey", keyId: keyId)
    }

    /// CreateKey: a symmetric encryption key (SYMMETRIC_DEFAULT, ENCRYPT_DECRYPT).
    /// Not retried after an ambiguous failure (it would create a second key).
    public func createKey(description: String? = nil) throws -> AWSKMSKeyMetadata {
        let body = try call("CreateKey", keyId: "(new key)", retriesAmbiguousFailures: false) { w in
            if let description { w.string("Description", description) }
            w.string("KeyUsage", "ENCRYPT_DECRYPT")
            w.string("KeySpec", "SYMMETRIC_DEFAULT")
        }
        return try readKeyMetadata(body, operation: "CreateKey", keyId: "(new key)")
    }

    /// CreateAlias: `aliasName` ("alias/NAME") for `targetKeyId`.
    public func createAlias(aliasName: String, targetKeyId: String) throws {
        _ = try call("CreateAlias", keyId: aliasName, retriesAmbiguousFailures: false) { w in
            w.string("AliasName", aliasName)
            w.string("TargetKeyId", targetKeyId)
        }
    }

    // MARK: the exchange

    /// Sends one operation, retrying what may be retried; returns the body of the
    /// 200 response. `build` writes the request's JSON members; it runs once per
    /// attempt (the body buffer is handed to the request and wiped with it).
    func call(_ operation: String, keyId: String, retriesAmbiguousFailures: Bool = true,
              build: (inout KMSJSON.ObjectWriter) -> Void) throws -> SecureBuffer {
        countsLock.lock()
        counts[operation, default: 0] += 1
        countsLock.unlock()

        var attempt = 0
        while true {
            attempt += 1
            let body = SecureBuffer(capacity: 512)
            var writer = KMSJSON.ObjectWriter(into: body)
            build(&writer)
            writer.finish()
            let payloadHash: String = {
                let digest = SHA256Digest()
                digest.update(body.bytes)
                return digest.finish().hexString
            }()
            let signed: SigV4Signature
            do {
                signed = try signer.sign(SigV4Request(method: "POST", path: "/", headers: [
                    (name: "Host", value: hostHeader),
                    (name: "Content-Type", value: "application/x-amz-json-1.1"),
                    (name: "X-Amz-Target", value: "TrentService.\(operation)"),
                ], payloadHash: payloadHash))
            } catch {
                throw ClinloadError(.cryptoFailure, stage: .keys, "cannot sign the AWS KMS request",
                                    attributes: attributes(operation: operation, keyId: keyId))
            }
            var request = URLRequest(url: endpoint)
            request.httpMethod = "POST"
            for (name, value) in signed.headers { request.setValue(value, forHTTPHeaderField: name) }
            request.httpBody = body.takeData()

            let failure: Failure
            switch transport.send(request) {
            case .success(let response) where response.status == 200:
                return response.body
            case .success(let response):
                failure = .service(type: Self.errorType(response), status: response.status)
            case .failure(.timedOut):
                failure = .timedOut
            case .failure(.connection(let code)):
                failure = .connection(code: code)
            case .failure(.responseTooLarge):
                failure = .responseTooLarge
            }
            if attempt < options.maxAttempts, failure.isRetryable(ambiguousAllowed: retriesAmbiguousFailures) {
                let delay = options.backoff * Double(1 << (attempt - 1)) * Double.random(in: 0.5...1.0)
                Thread.sleep(forTimeInterval: delay)
                continue
            }
            throw error(for: failure, operation: operation, keyId: keyId, attempts: attempt)
        }
    }

    enum Failure {
        case service(type: String?, status: Int)
        case timedOut
        case connection(code: Int)
        case responseTooLarge

        static let throttling: Set<String> = [
            "ThrottlingException", "Throttling", "ThrottledException", "RequestThrottledException",
            "TooManyRequestsException", "RequestLimitExceeded", "LimitExceededException", "SlowDown",
        ]
        static let transientService: Set<String> = [
            "KMSInternalException", "DependencyTimeoutException", "KeyUnavailableException",
            "InternalFailure", "ServiceUnavailable", "RequestTimeout", "RequestTimeoutException",
        ]
        static let unwrapFailures: Set<String> = ["InvalidCiphertextException", "IncorrectKeyException"]
        static let accessFailures: Set<String> = [
            "AccessDeniedException", "AccessDenied", "UnrecognizedClientException", "InvalidSignatureException",
            "IncompleteSignature", "IncompleteSignatureException", "MissingAuthenticationToken",
            "MissingAuthenticationTokenException", "ExpiredToken", "ExpiredTokenException", "InvalidClientTokenId",
            "SignatureDoesNotMatch",
        ]
        static let keyStateFailures: Set<String> = [
            "NotFoundException", "KMSInvalidStateException", "DisabledException", "InvalidKeyUsageException",
            "InvalidArnException", "KeyUnavailableException", "CustomKeyStoreInvalidStateException",
        ]

        var isThrottled: Bool {
            if case .service(let type, let status) = self { return status == 429 || type.map(Self.throttling.contains) == true }
            return false
        }

        /// `ambiguousAllowed`: whether a failure after which the request may have
        /// taken effect (timeout, dropped connection, 5xx) may be retried.
        func isRetryable(ambiguousAllowed: Bool) -> Bool {
            switch self {
            case .service(let type, let status):
                if isThrottled { return true }
                return ambiguousAllowed && (status >= 500 || type.map(Self.transientService.contains) == true)
            case .timedOut:
                return ambiguousAllowed
            case .connection(let code):
                // Refused or no such host: the request was never sent.
                let neverSent = [URLError.cannotConnectToHost, .cannotFindHost, .dnsLookupFailed, .notConnectedToInternet]
                    .map(\.rawValue).contains(code)
                let tls = (-1206 ... -1200).contains(code)
                return !tls && (neverSent || ambiguousAllowed)
            case .responseTooLarge:
                return false
            }
        }
    }

    private func attributes(operation: String, keyId: String) -> [(String, String)] {
        [("provider", Self.providerName), ("key_id", keyId), ("operation", operation), ("region", region)]
    }

    private func error(for failure: Failure, operation: String, keyId: String, attempts: Int) -> ClinloadError {
        var attributes = attributes(operation: operation, keyId: keyId)
        attributes.append(("attempts", "\(attempts)"))
        switch failure {
        case .timedOut:
            attributes.append(("reason", "timeout"))
            attributes.append(("endpoint", endpoint.host ?? ""))
            return ClinloadError(.keyUnavailable, stage: .keys, "the AWS KMS endpoint did not answer in time", attributes: attributes)
        case .connection(let code):
            attributes.append(("reason", (-1206 ... -1200).contains(code) ? "tls" : "unreachable"))
            attributes.append(("url_error", "\(code)"))
            attributes.append(("endpoint", endpoint.host ?? ""))
            return ClinloadError(.keyUnavailable, stage: .keys, "the AWS KMS endpoint cannot be reached", attributes: attributes)
        case .responseTooLarge:
            attributes.append(("reason", "response_too_large"))
            return ClinloadError(.keyUnavailable, stage: .keys, "the AWS KMS endpoint sent an oversized answer", attributes: attributes)
        case .service(let type, let status):
            if let type { attributes.append(("aws_error", type)) }
            attributes.append(("http_status", "\(status)"))
            if let type, Failure.unwrapFailures.contains(type) {
                return ClinloadError(.keyUnwrapFailed, stage: .keys,
                                     "the wrapped data key does not decrypt under this AWS KMS key and encryption context",
                                     attributes: attributes)
            }
            if failure.isThrottled {
                return ClinloadError(.keyUnavailable, stage: .keys, "AWS KMS throttled the request; retry later", attributes: attributes)
            }
            if let type, Failure.accessFailures.contains(type) {
                return ClinloadError(.keyUnavailable, stage: .keys,
                                     "AWS KMS refused the credentials or denied access to the key", attributes: attributes)
            }
            if let type, Failure.keyStateFailures.contains(type) {
                return ClinloadError(.keyUnavailable, stage: .keys,
                                     "the AWS KMS key is not found, disabled, pending deletion or not usable for this operation",
                                     attributes: attributes)
            }
            if status >= 500 || type.map(Failure.transientService.contains) == true {
                return ClinloadError(.keyUnavailable, stage: .keys, "AWS KMS reported a service error; retry later", attributes: attributes)
            }
            return ClinloadError(.keyUnavailable, stage: .keys, "AWS KMS rejected the request", attributes: attributes)
        }
    }

    /// The AWS error type of a failed response ("__type" in the body, else the
    /// x-amzn-ErrorType header), reduced to a safe identifier
    /// ("com.amazonaws.kms#NotFoundException" → "NotFoundException").
    static func errorType(_ response: HTTPTransport.Response) -> String? {
        var raw: String?
        if let members = try? KMSJSON.scanObject(response.body.bytes), let range = members.strings["__type"] {
            raw = try? KMSJSON.unescape(UnsafeRawBufferPointer(rebasing: response.body.bytes[range]))
        }
        if raw == nil { raw = response.headers["x-amzn-errortype"] }
        guard var type = raw else { return nil }
        if let hash = type.lastIndex(of: "#") { type = String(type[type.index(after: hash)...]) }
        if let colon = type.firstIndex(of: ":") { type = String(type[..<colon]) }
        let safe = String(type.unicodeScalars.filter { CharacterSet.alphanumerics.contains($0) || "._-".unicodeScalars.contains($0) }.prefix(64))
        return safe.isEmpty ? nil : safe
    }

    // MARK: responses

    private func malformed(_ operation: String, _ keyId: String) -> ClinloadError {
        var attributes = attributes(operation: operation, keyId: keyId)
        attributes.append(("reason", "malformed_response"))
        return ClinloadError(.keyUnavailable, stage: .keys, "the AWS KMS answer is not in the expected form", attributes: attributes)
    }

    /// The Plaintext (decoded straight into `SecretBytes`), the CiphertextBlob
    /// and the KeyId of a GenerateDataKey or Decrypt answer.
    private func readKeyResponse(_ body: SecureBuffer, operation: String, keyId: String, wantsCiphertext: Bool)
        throws -> (SecretBytes, [UInt8], String?) {
        let bytes = body.bytes
        guard let members = try? KMSJSON.scanObject(bytes),
              let plainRange = members.strings["Plaintext"],
              let plaintext = Base64.decodeSecret(UnsafeRawBufferPointer(rebasing: bytes[plainRange]))
        else { throw malformed(operation, keyId) }
        var ciphertext: [UInt8] = []
        if wantsCiphertext {
            guard let range = members.strings["CiphertextBlob"],
                  let blob = Base64.decode(UnsafeRawBufferPointer(rebasing: bytes[range])), !blob.isEmpty
            else { throw malformed(operation, keyId) }
            ciphertext = blob
        }
        let arn = members.strings["KeyId"].flatMap { try? KMSJSON.unescape(UnsafeRawBufferPointer(rebasing: bytes[$0])) }
        return (plaintext, ciphertext, arn)
    }

    private func readCiphertextResponse(_ body: SecureBuffer, operation: String, keyId: String) throws -> AWSKMSCiphertext {
        let bytes = body.bytes
        guard let members = try? KMSJSON.scanObject(bytes), let range = members.strings["CiphertextBlob"],
              let blob = Base64.decode(UnsafeRawBufferPointer(rebasing: bytes[range])), !blob.isEmpty
        else { throw malformed(operation, keyId) }
        let arn = members.strings["KeyId"].flatMap { try? KMSJSON.unescape(UnsafeRawBufferPointer(rebasing: bytes[$0])) }
        return AWSKMSCiphertext(ciphertextBlob: blob, keyId: arn ?? keyId)
    }

    private func readKeyMetadata(_ body: SecureBuffer, operation: String, keyId: String) throws -> AWSKMSKeyMetadata {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body.bytes)) as? [String: Any],
              let metadata = object["KeyMetadata"] as? [String: Any],
              let arn = metadata["Arn"] as? String, let id = metadata["KeyId"] as? String
        else { throw malformed(operation, keyId) }
        return AWSKMSKeyMetadata(keyId: id, arn: arn, keyState: metadata["KeyState"] as? String,
                                 keyUsage: metadata["KeyUsage"] as? String,
                                 keySpec: (metadata["KeySpec"] ?? metadata["CustomerMasterKeySpec"]) as? String)
    }
}

/// A data key from GenerateDataKey.
public struct AWSKMSDataKey: Sendable {
    public var plaintext: SecretBytes
    public var ciphertextBlob: [UInt8]
    /// The ARN of the key that encrypted it.
    public var keyId: String
}

/// A ciphertext from Encrypt or ReEncrypt.
public struct AWSKMSCiphertext: Sendable {
    public var ciphertextBlob: [UInt8]
    /// The ARN of the key that encrypted it.
    public var keyId: String
}

/// What DescribeKey and CreateKey tell about a key (nothing secret).
public struct AWSKMSKeyMetadata: Sendable {
    public var keyId: String
    public var arn: String
    public var keyState: String?
    public var keyUsage: String?
    public var keySpec: String?
}
