import ClinloadCore

/// Failures of the cryptographic primitives. They carry no key or data bytes.
public enum CryptoError: Error, Sendable, Equatable {
    case randomFailed
    case cipherFailed(step: String)
    /// Authentication failed: wrong key, wrong associated data, or tampered bytes.
    case authenticationFailed
    case malformedCiphertext(reason: String)
    case wrongKeyId

    public var clinloadError: ClinloadError {
        switch self {
        case .authenticationFailed, .wrongKeyId:
            return ClinloadError(.decryptionFailed, stage: .protect, "a ciphertext did not authenticate with its key and context")
        case .malformedCiphertext(let reason):
            return ClinloadError(.decryptionFailed, stage: .protect, "a ciphertext is malformed", attributes: [("reason", reason)])
        case .randomFailed:
            return ClinloadError(.cryptoFailure, stage: .protect, "the random number generator failed")
        case .cipherFailed(let step):
            return ClinloadError(.cryptoFailure, stage: .protect, "an OpenSSL cipher call failed", attributes: [("step", step)])
        }
    }
}
