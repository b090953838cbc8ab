/// A keyed, deterministic fingerprint of a subject's natural key, so the same
/// patient is found again across batches and feeds without decrypting anything.
///
/// HMAC-SHA-256 under the long-lived blind-index key over a length-prefixed
/// encoding of (domain, namespace, each normalised key part). Normalisation trims
/// surrounding whitespace and upper-cases ASCII letters, so `abc-1 ` and `ABC-1`
/// meet; anything else is compared byte for byte (the CSV reader has checked UTF-8).
public final class BlindIndex {
    public static let length = HMACSHA256.outputLength
    private let hmac: HMACSHA256
    private var message: [UInt8] = []
    /// The encoded domain and namespace that start every message, kept for the
    /// namespace last seen (one per pipeline) instead of re-encoded per record.
    private var prefix: (namespace: String, bytes: [UInt8])?
    private var digest = [UInt8](repeating: 0, count: length)

    public init(key: SecretBytes) throws {
        hmac = try HMACSHA256(key: key)
        message.reserveCapacity(256)
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
        namespace: String, count: Int, appendingTo output: inout [UInt8],
        part: (Int, (UnsafeBufferPointer<UInt8>) -> Void) -> Void
    ) throws {
        if prefix?.namespace != namespace {
            var bytes: [UInt8] = []
            Self.appendPart(Array("clinload/blind-index/v1".utf8)[...], to: &bytes)
            Self.appendPart(Array(namespace.utf8)[...], to: &bytes)
            prefix = (namespace, bytes)
        }
        message.removeAll(keepingCapacity: true)
        message.append(contentsOf: prefix!.bytes)
        for i in 0..<count { part(i) { Self.appendNormalised($0, to: &message) } }
        try message.withUnsafeBytes { m in
            try digest.withUnsafeMutableBytes { try hmac.authenticate(m, into: $0) }
        }
        output.append(contentsOf: digest)
    }

    private static func appendPart(_ bytes: ArraySlice<UInt8>, to out: inout [UInt8]) {
        let n = UInt32(bytes.count)
        out.append(UInt8(n >> 24)); out.append(UInt8((n >> 16) & 0xFF)); out.append(UInt8((n >> 8) & 0xFF)); out.append(UInt8(n & 0xFF))
        out.append(contentsOf: bytes)
    }

    private static func appendNormalised(_ raw: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        var start = 0
        var end = raw.count
        while start < end, raw[start] == 0x20 || raw[start] == 0x09 { start += 1 }
        while end > start, raw[end - 1] == 0x20 || raw[end - 1] == 0x09 { end -= 1 }
        let n = UInt32(end - start)
        out.append(UInt8(n >> 24)); out.append(UInt8((n >> 16) & 0xFF)); out.append(UInt8((n >> 8) & 0xFF)); out.append(UInt8(n & 0xFF))
        // Copied in one piece, then upper-cased in place (a byte at a time through
        // `append` cost a uniqueness check per byte).
        let first = out.count
        out.append(contentsOf: UnsafeBufferPointer(rebasing: raw[start..<end]))
        out.withUnsafeMutableBufferPointer { b in
            for i in first..<b.count where b[i] &- 0x61 < 26 { b[i] -= 0x20 }
        }
    }
}
