import ClinloadCore
import ClinloadCrypto
import ClinloadDefinitions
import Foundation

/// One input file, fingerprinted before any of it is processed.
public struct InputFile: Sendable {
    /// The path as given (recorded with the batch).
    public var path: String
    public var sha256: String
    public var bytes: Int

    public static func fingerprint(_ path: String) throws -> InputFile {
        do {
            let (digest, bytes) = try SHA256Digest.hashFile(atPath: path)
            return InputFile(path: path, sha256: digest.hexString, bytes: bytes)
        } catch let error as FileHashError {
            throw ClinloadError(.inputUnreadable, stage: .register, "cannot read the input file",
                                location: .init(file: path), attributes: [("errno", "\(error.errno)")])
        }
    }
}

/// The key recorded with each batch: the pipeline (name and definition hash) and
/// the input bytes; at most one loaded batch per key (a unique index). What is
/// skipped is wider: bytes the pipeline loaded under any definition
/// (`BatchRunner.run`), unless reloaded.
public struct IdempotencyKey: Sendable, Equatable {
    public var text: String

    public init(pipeline: String, pipelineSHA256: String, inputSHA256: String) {
        text = SHA256Digest.hash("clinload/batch/v1\u{0}\(pipeline)\u{0}\(pipelineSHA256)\u{0}\(inputSHA256)").hexString
    }

    /// The 64-bit PostgreSQL advisory lock a batch of `pipeline` on these input
    /// bytes holds while it runs. Not per definition: two processes running two
    /// definitions of one pipeline must not load the same file side by side.
    public static func lockKey(pipeline: String, inputSHA256: String) -> Int {
        let hash = SHA256Digest.hash("clinload/batch-lock/v1\u{0}\(pipeline)\u{0}\(inputSHA256)")
        return hash.prefix(8).reduce(0) { $0 << 8 | Int($1) }
    }
}

extension LoadedPipeline {
    /// SHA-256 over the pipeline file and its schema file (length-prefixed): the
    /// definition's identity in batch records and idempotency keys.
    public var definitionSHA256: String {
        let d = SHA256Digest()
        d.update("clinload/pipeline/v1\u{0}\(pipelineBytes.count)\u{0}")
        d.update(pipelineBytes)
        d.update("\u{0}\(schemaBytes.count)\u{0}")
        d.update(schemaBytes)
        return d.finish().hexString
    }
}
