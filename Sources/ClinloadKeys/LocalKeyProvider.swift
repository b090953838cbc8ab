import ClinloadCore
import ClinloadCrypto
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The embedded default KMS: a 256-bit master key in a local file.
///
/// The file is created on first use with mode 0600 (in a 0700 folder) and refused
/// if anyone but its owner can read it — the same rule ssh applies to private
/// keys. Data keys are wrapped with AES-256-GCM under the master key, with the
/// key context as associated data.
public final class LocalKeyProvider: KeyProvider {
    public let path: String
    public let keyEncryptionKeyId: String
    private let masterKey: SecretBytes

    static let fileHeader = "clinload-master-key v1\n"
    static let wrapVersion: UInt8 = 1

    /// Opens the master key at `path`, creating it if it does not exist.
    public init(path: String, createIfMissing: Bool = true) throws {
        self.path = path
        if !FileManager.default.fileExists(atPath: path) {
            guard createIfMissing else {
                throw ClinloadError(.keyUnavailable, stage: .keys,
                                    "the master key file does not exist, and this store holds keys wrapped by a master key: restore the file from its backup",
                                    attributes: [("path", path)])
            }
            try Self.create(at: path)
        }
        masterKey = try Self.load(from: path)
        let digest = SHA256Digest()
        digest.update("clinload/kek-id/v1")
        masterKey.withUnsafeBytes { digest.update($0) }
        keyEncryptionKeyId = "local:" + Array(digest.finish().prefix(8)).hexString
    }

    public func generateDataKey(context: KeyContext) throws -> GeneratedDataKey {
        let plaintext = try SecretBytes(randomCount: AESGCM.keyLength)
        return GeneratedDataKey(plaintext: plaintext, wrapped: try wrap(plaintext, context: context))
    }

    /// Wraps an existing 256-bit data key under the master key, bound to `context`.
    public func wrap(_ plaintext: SecretBytes, context: KeyContext) throws -> WrappedDataKey {
        guard plaintext.count == AESGCM.keyLength else {
            throw ClinloadError(.cryptoFailure, stage: .keys, "a data key to wrap must be 256 bits",
                                attributes: [("bytes", "\(plaintext.count)")])
        }
        return WrappedDataKey(keyEncryptionKeyId: keyEncryptionKeyId, blob: try sealBlob(plaintext, context: context))
    }

    public func unwrap(_ wrapped: WrappedDataKey, context: KeyContext) throws -> SecretBytes {
        guard wrapped.keyEncryptionKeyId == keyEncryptionKeyId else {
            throw ClinloadError(.keyUnwrapFailed, stage: .keys, "the data key was wrapped by another master key",
                                attributes: [("wrapped_by", wrapped.keyEncryptionKeyId), ("available", keyEncryptionKeyId)])
        }
        let blob = wrapped.blob
        guard blob.count == 1 + AESGCM.nonceLength + AESGCM.keyLength + AESGCM.tagLength, blob[0] == Self.wrapVersion else {
            throw ClinloadError(.keyUnwrapFailed, stage: .keys, "the wrapped data key is malformed")
        }
        let opener = try AESGCM(key: masterKey, direction: .open)
        do {
            var plain = try blob.withUnsafeBytes { b in
                try context.canonicalBytes.withUnsafeBytes { aad in
                    try opener.open(UnsafeRawBufferPointer(rebasing: b[(1 + AESGCM.nonceLength)...]),
                                    nonce: UnsafeRawBufferPointer(rebasing: b[1..<(1 + AESGCM.nonceLength)]), aad: aad)
                }
            }
            defer { plain.secureWipe() }
            return SecretBytes(copying: plain)
        } catch {
            throw ClinloadError(.keyUnwrapFailed, stage: .keys, "the wrapped data key does not authenticate under this master key and context")
        }
    }

    private func sealBlob(_ key: SecretBytes, context: KeyContext) throws -> [UInt8] {
        let sealer = try AESGCM(key: masterKey, direction: .seal)
        let nonce = try SecretBytes(randomCount: AESGCM.nonceLength)
        var blob: [UInt8] = [Self.wrapVersion]
        nonce.withUnsafeBytes { blob.append(contentsOf: $0) }
        try key.withUnsafeBytes { k in
            try nonce.withUnsafeBytes { n in
                try context.canonicalBytes.withUnsafeBytes { aad in
                    try sealer.seal(k, nonce: n, aad: aad, appendingTo: &blob)
                }
            }
        }
        return blob
    }

    // MARK: the key file

    static func create(at path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                     attributes: [.posixPermissions: 0o700])
        }
        let key = try SecretBytes(randomCount: AESGCM.keyLength)
        var text = Array(fileHeader.utf8)
        key.withUnsafeBytes { text.append(contentsOf: Array($0).hexString.utf8) }
        text.append(0x0A)
        defer { text.secureWipe() }
        // O_EXCL: never overwrite a key someone else just created.
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            if errno == EEXIST { return }
            throw ClinloadError(.keyUnavailable, stage: .keys, "cannot create the master key file",
                                attributes: [("path", path), ("errno", "\(errno)")])
        }
        defer { close(fd) }
        let written = text.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == text.count, fsync(fd) == 0 else {
            throw ClinloadError(.keyUnavailable, stage: .keys, "cannot write the master key file", attributes: [("path", path)])
        }
    }

    static func load(from path: String) throws -> SecretBytes {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw ClinloadError(.keyUnavailable, stage: .keys, "cannot stat the master key file", attributes: [("path", path)])
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw ClinloadError(.keyFileInsecure, stage: .keys, "the master key path is not a regular file", attributes: [("path", path)])
        }
        if info.st_mode & 0o077 != 0 {
            throw ClinloadError(.keyFileInsecure, stage: .keys,
                                "the master key file is readable or writable by group or others; run chmod 600 on it",
                                attributes: [("path", path), ("mode", String(info.st_mode & 0o777, radix: 8))])
        }
        if info.st_uid != geteuid() {
            throw ClinloadError(.keyFileInsecure, stage: .keys, "the master key file belongs to another user",
                                attributes: [("path", path)])
        }
        guard var contents = FileManager.default.contents(atPath: path).map({ [UInt8]($0) }) else {
            throw ClinloadError(.keyUnavailable, stage: .keys, "cannot read the master key file", attributes: [("path", path)])
        }
        defer { contents.secureWipe() }
        let header = Array(fileHeader.utf8)
        guard contents.count >= header.count + 64, Array(contents.prefix(header.count)) == header,
              var key = [UInt8](hex: String(decoding: contents[header.count..<(header.count + 64)], as: UTF8.self))
        else {
            throw ClinloadError(.keyUnavailable, stage: .keys, "the master key file is not in the clinload format", attributes: [("path", path)])
        }
        defer { key.secureWipe() }
        return SecretBytes(copying: key)
    }
}
