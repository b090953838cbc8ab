import ClinloadCore
import ClinloadCrypto
import ClinloadKeys
import Foundation

/// A key provider backed by an AWS KMS symmetric key (`aws-kms:` key URIs).
///
/// - `keyEncryptionKeyId` is the key's ARN: an alias, alias ARN or bare key id is
///   resolved once, at construction, with DescribeKey (a key ARN needs no call).
///   Every request names the key by that ARN, so an alias later pointed at another
///   key does not change which key this provider uses.
/// - `generateDataKey` = GenerateDataKey (AES_256) with the key context as the
///   KMS encryption context; `unwrap` = Decrypt with the same context and KeyId;
///   `wrap` = Encrypt.
/// - The wrapped form is KMS's CiphertextBlob as is (usable with the AWS CLI).
/// - `rewrap` from another AWS KMS provider on the same endpoint and region is a
///   single ReEncrypt: the data key's plaintext never reaches this process.
public final class AWSKMSKeyProvider: KeyProvider {
    public let client: AWSKMSClient
    /// The key ARN.
    public let keyEncryptionKeyId: String
    /// The key as configured (an alias, say).
    public let configuredKeyId: String

    /// A provider for `keyId` (a key ARN, alias ARN, `alias/NAME` or key id)
    /// through `client`.
    public init(keyId: String, client: AWSKMSClient) throws {
        guard AWSKMSKeyReference.isValidKeyId(keyId) else {
            throw ClinloadError(.keyUriInvalid, stage: .configuration,
                                "an AWS KMS key must be a key ARN, an alias (alias/NAME), an alias ARN or a key id",
                                attributes: [("provider", AWSKMSClient.providerName)])
        }
        if let arnRegion = AWSKMSKeyReference.arnRegion(keyId), arnRegion != client.region {
            throw ClinloadError(.keyUriInvalid, stage: .configuration, "the AWS KMS key ARN is in another region than the client",
                                attributes: [("provider", AWSKMSClient.providerName), ("key_id", keyId), ("region", client.region)])
        }
        self.client = client
        configuredKeyId = keyId
        if AWSKMSKeyReference.isKeyARN(keyId) {
            keyEncryptionKeyId = keyId
        } else {
            let metadata = try client.describeKey(keyId: keyId)
            if let usage = metadata.keyUsage, usage != "ENCRYPT_DECRYPT" {
                throw ClinloadError(.keyUriInvalid, stage: .configuration, "the AWS KMS key is not an encryption key",
                                    attributes: [("provider", AWSKMSClient.providerName), ("key_id", keyId), ("key_usage", usage)])
            }
            if let spec = metadata.keySpec, spec != "SYMMETRIC_DEFAULT" {
                throw ClinloadError(.keyUriInvalid, stage: .configuration, "the AWS KMS key is not a symmetric key",
                                    attributes: [("provider", AWSKMSClient.providerName), ("key_id", keyId), ("key_spec", spec)])
            }
            keyEncryptionKeyId = metadata.arn
        }
    }

    /// A provider from a parsed `aws-kms:` URI; credentials (and the region when
    /// neither the URI nor the ARN gives one) from `environment`.
    public convenience init(reference: AWSKMSKeyReference,
                            environment: [String: String] = ProcessInfo.processInfo.environment,
                            options: AWSKMSClient.Options = AWSKMSClient.Options()) throws {
        let client = try AWSKMSClient(region: reference.region, endpoint: reference.endpoint,
                                      environment: environment, options: options)
        try self.init(keyId: reference.keyId, client: client)
    }

    /// A provider from an `aws-kms:KEY?region=R&endpoint=URL` URI.
    public convenience init(uri: String,
                            environment: [String: String] = ProcessInfo.processInfo.environment,
                            options: AWSKMSClient.Options = AWSKMSClient.Options()) throws {
        try self.init(reference: AWSKMSKeyReference(uri: uri), environment: environment, options: options)
    }

    /// Makes `KeyProviderURI.provider(for:relativeTo:createIfMissing:)` accept
    /// `aws-kms:` URIs (credentials and region from the process environment).
    /// Idempotent; call once at start-up.
    public static func registerURIScheme() {
        KeyProviderURI.register(scheme: AWSKMSKeyReference.scheme) { uri, _, _ in
            try AWSKMSKeyProvider(uri: uri)
        }
    }

    // MARK: KeyProvider

    public func generateDataKey(context: KeyContext) throws -> GeneratedDataKey {
        let key = try client.generateDataKey(keyId: keyEncryptionKeyId, encryptionContext: context.pairs)
        try checkKeyLength(key.plaintext, operation: "GenerateDataKey")
        return GeneratedDataKey(plaintext: key.plaintext,
                                wrapped: WrappedDataKey(keyEncryptionKeyId: keyEncryptionKeyId, blob: key.ciphertextBlob))
    }

    public func unwrap(_ wrapped: WrappedDataKey, context: KeyContext) throws -> SecretBytes {
        try checkWrappedByThisKey(wrapped)
        let (plaintext, _) = try client.decrypt(ciphertextBlob: wrapped.blob, keyId: keyEncryptionKeyId,
                                                encryptionContext: context.pairs)
        try checkKeyLength(plaintext, operation: "Decrypt")
        return plaintext
    }

    public func wrap(_ plaintext: SecretBytes, context: KeyContext) throws -> WrappedDataKey {
        try checkKeyLength(plaintext, operation: "Encrypt")
        let result = try client.encrypt(plaintext: plaintext, keyId: keyEncryptionKeyId, encryptionContext: context.pairs)
        return WrappedDataKey(keyEncryptionKeyId: keyEncryptionKeyId, blob: result.ciphertextBlob)
    }

    /// From another AWS KMS provider on the same endpoint and region: ReEncrypt
    /// (source and destination encryption context both `context`), so the
    /// plaintext never leaves KMS. From any other provider: unwrap there, Encrypt
    /// here.
    public func rewrap(_ wrapped: WrappedDataKey, context: KeyContext, from source: KeyProvider) throws -> WrappedDataKey {
        guard let source = source as? AWSKMSKeyProvider, source.client.sharesService(with: client) else {
            return try rewrapThroughMemory(wrapped, context: context, from: source)
        }
        try source.checkWrappedByThisKey(wrapped)
        let result = try client.reEncrypt(ciphertextBlob: wrapped.blob, sourceKeyId: source.keyEncryptionKeyId,
                                          sourceEncryptionContext: context.pairs,
                                          destinationKeyId: keyEncryptionKeyId, destinationEncryptionContext: context.pairs)
        return WrappedDataKey(keyEncryptionKeyId: keyEncryptionKeyId, blob: result.ciphertextBlob)
    }

    // MARK: checks

    private func checkWrappedByThisKey(_ wrapped: WrappedDataKey) throws {
        guard wrapped.keyEncryptionKeyId == keyEncryptionKeyId else {
            throw ClinloadError(.keyUnwrapFailed, stage: .keys, "the data key was wrapped by another key-encryption key",
                                attributes: [("provider", AWSKMSClient.providerName),
                                             ("wrapped_by", wrapped.keyEncryptionKeyId), ("available", keyEncryptionKeyId)])
        }
    }

    private func checkKeyLength(_ key: SecretBytes, operation: String) throws {
        guard key.count == 32 else {
            throw ClinloadError(operation == "Decrypt" ? .keyUnwrapFailed : .cryptoFailure, stage: .keys,
                                "a data key must be 256 bits",
                                attributes: [("provider", AWSKMSClient.providerName), ("key_id", keyEncryptionKeyId),
                                             ("operation", operation), ("bytes", "\(key.count)")])
        }
    }
}
