import COpenSSL

/// Overwrites a buffer that held key material or plaintext, in a way the compiler
/// may not optimise away (OPENSSL_cleanse).
@inline(__always)
public func secureWipe(_ buffer: UnsafeMutableRawBufferPointer) {
    clinload_openssl_cleanse(buffer.baseAddress, buffer.count)
}

extension Array where Element == UInt8 {
    /// Wipes the array's bytes in place (the storage stays allocated).
    public mutating func secureWipe() {
        withUnsafeMutableBytes { ClinloadCrypto.secureWipe($0) }
    }
}
