import COpenSSL

/// A keyed, deterministic fingerprint of a subject's natural key, so the same
/// patient is found again across batches and feeds without decrypting anything.
///
/// HMAC-SHA-256 under the long-lived blind-index key over a length-prefixed
/// encoding of (domain, namespace, each normalised key part). Normalisation trims
/// surrounding whitespace and upper-cases ASCII letters, so `abc-1 ` and `ABC-1`
/// meet; anything else is compared byte for byte (the CSV reader has checked UTF-8).
public final class BlindIndex {
    public static let length = HMACSHA256.outputLength

    /// The encoded (domain, namespace) every message of a namespace starts with:
    /// made once per namespace (a pipeline's subjects, a pseudonym space), not
    /// per value.
    public struct Namespace: Sendable {
        fileprivate let encoded: [UInt8]

        public init(_ name: String) {
            var bytes: [UInt8] = []
            for part in ["clinload/blind-index/v1", name] {
                let utf8 = Array(part.utf8)
                let n = UInt32(utf8.count)
                bytes += [UInt8(n >> 24), UInt8((n >> 16) & 0xFF), UInt8((n >> 8) & 0xFF), UInt8(n & 0xFF)] + utf8
            }
            encoded = bytes
        }
    }

    private let hmac: HMACSHA256
    /// The message being authenticated, in a buffer of our own: written with
    /// plain stores (an array's `append` checked uniqueness and capacity per
    /// byte), grown as needed, wiped when this index goes (it holds natural keys).
    private var message: UnsafeMutablePointer<UInt8>
    private var capacity = 256
    private var length = 0
    private var lastNamespace: (name: String, namespace: Namespace)?
    private var digest = [UInt8](repeating: 0, count: length)

    public init(key: SecretBytes) throws {
        hmac = try HMACSHA256(key: key)
        message = .allocate(capacity: capacity)
    }

    deinit {
        clinload_openssl_cleanse(message, capacity)
        message.deallocate()
    }

    public func compute(namespace: String, parts: [String]) throws -> [UInt8] {
        var out: [UInt8] = []
        try compute(namespace: namespace, count: parts.count, appendingTo: &out) { index, body in
            var bytes = Array(parts[index].utf8)
            bytes.withUnsafeMutableBufferPointer { body(UnsafeBufferPointer($0)) }
        }
        return out
    }

    /// The blind index of (namespace, parts), where `part(i, body)` hands the bytes
    /// of part `i` to `body` (so callers can pass record fields without copying).
    public func compute(
        namespace name: String, count: Int, appendingTo output: inout [UInt8],
        part: (Int, (UnsafeBufferPointer<UInt8>) -> Void) -> Void
    ) throws {
        if lastNamespace?.name != name { lastNamespace = (name, Namespace(name)) }
        try compute(namespace: lastNamespace!.namespace, count: count, appendingTo: &output, part: part)
    }

    /// The same, for a namespace encoded beforehand (callers that switch between
    /// several, value by value).
    public func compute(
        namespace: Namespace, count: Int, appendingTo output: inout [UInt8],
        part: (Int, (UnsafeBufferPointer<UInt8>) -> Void) -> Void
    ) throws {
        length = 0
        namespace.encoded.withUnsafeBufferPointer { append($0) }
        for i in 0..<count { part(i) { appendNormalised($0) } }
        try digest.withUnsafeMutableBytes { d in
            try hmac.authenticate(UnsafeRawBufferPointer(start: message, count: length), into: d)
        }
        output.append(contentsOf: digest)
    }

    private func reserve(_ extra: Int) {
        guard length + extra > capacity else { return }
        let grownCapacity = max(2 * capacity, length + extra)
        let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: grownCapacity)
        grown.update(from: message, count: length)
        clinload_openssl_cleanse(message, capacity)
        message.deallocate()
        message = grown
        capacity = grownCapacity
    }

    private func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        reserve(bytes.count)
        if let base = bytes.baseAddress { (message + length).update(from: base, count: bytes.count) }
        length += bytes.count
    }

    /// A part: its length (4 bytes, big-endian), then its bytes trimmed of spaces
    /// and tabs, ASCII letters upper-cased.
    private func appendNormalised(_ raw: UnsafeBufferPointer<UInt8>) {
        var start = 0
        var end = raw.count
        while start < end, raw[start] == 0x20 || raw[start] == 0x09 { start += 1 }
        while end > start, raw[end - 1] == 0x20 || raw[end - 1] == 0x09 { end -= 1 }
        let n = end - start
        reserve(4 + n)
        let out = message + length
        out[0] = UInt8(truncatingIfNeeded: n >> 24); out[1] = UInt8(truncatingIfNeeded: n >> 16)
        out[2] = UInt8(truncatingIfNeeded: n >> 8); out[3] = UInt8(truncatingIfNeeded: n)
        var i = 0
        while i < n {
            let b = raw[start + i]
            out[4 + i] = b &- 0x61 < 26 ? b - 0x20 : b
            i += 1
        }
        length += 4 + n
    }
}
