import ClinloadCrypto
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A growable byte buffer for request and response bodies that may carry key
/// material (base64 plaintext keys). Growing copies into a new allocation and
/// wipes the old one (never realloc, which may leave a copy behind); the bytes are
/// wiped when the buffer is released or handed to `Data` (whose deallocator
/// wipes them too).
final class SecureBuffer: @unchecked Sendable {
    private(set) var pointer: UnsafeMutableRawPointer
    private(set) var capacity: Int
    private(set) var count = 0
    private var handedOff = false

    init(capacity: Int = 1024) {
        self.capacity = max(capacity, 16)
        pointer = UnsafeMutableRawPointer.allocate(byteCount: self.capacity, alignment: 16)
    }

    deinit {
        guard !handedOff else { return }
        secureWipe(UnsafeMutableRawBufferPointer(start: pointer, count: capacity))
        pointer.deallocate()
    }

    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: pointer, count: count) }

    func reserve(_ extra: Int) {
        precondition(!handedOff)
        guard count + extra > capacity else { return }
        var newCapacity = capacity
        while newCapacity < count + extra { newCapacity *= 2 }
        let fresh = UnsafeMutableRawPointer.allocate(byteCount: newCapacity, alignment: 16)
        fresh.copyMemory(from: pointer, byteCount: count)
        secureWipe(UnsafeMutableRawBufferPointer(start: pointer, count: capacity))
        pointer.deallocate()
        pointer = fresh
        capacity = newCapacity
    }

    func append(_ raw: UnsafeRawBufferPointer) {
        guard raw.count > 0 else { return }
        reserve(raw.count)
        (pointer + count).copyMemory(from: raw.baseAddress!, byteCount: raw.count)
        count += raw.count
    }

    func append(_ byte: UInt8) {
        reserve(1)
        pointer.storeBytes(of: byte, toByteOffset: count, as: UInt8.self)
        count += 1
    }

    func append(_ text: String) {
        var text = text
        text.withUTF8 { append(UnsafeRawBufferPointer($0)) }
    }

    func append(_ data: Data) {
        data.withUnsafeBytes { append($0) }
    }

    /// Hands the bytes to a `Data` that wipes and frees them when it is released.
    /// The buffer may not be used afterwards.
    func takeData() -> Data {
        precondition(!handedOff)
        handedOff = true
        // Wipe the unused tail now; the deallocator wipes the rest.
        secureWipe(UnsafeMutableRawBufferPointer(start: pointer + count, count: capacity - count))
        let total = capacity
        return Data(bytesNoCopy: pointer, count: count, deallocator: .custom { p, _ in
            secureWipe(UnsafeMutableRawBufferPointer(start: p, count: total))
            p.deallocate()
        })
    }
}

// MARK: base64 straight between buffers (no intermediate String or Data)

enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    private static let reverse: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (i, c) in alphabet.enumerated() { table[Int(c)] = UInt8(i) }
        return table
    }()

    /// Appends the base64 of `raw` to `out`.
    static func encode(_ raw: UnsafeRawBufferPointer, into out: SecureBuffer) {
        out.reserve((raw.count + 2) / 3 * 4)
        var i = 0
        while i + 3 <= raw.count {
            let n = UInt32(raw[i]) << 16 | UInt32(raw[i + 1]) << 8 | UInt32(raw[i + 2])
            out.append(alphabet[Int(n >> 18 & 63)]); out.append(alphabet[Int(n >> 12 & 63)])
            out.append(alphabet[Int(n >> 6 & 63)]); out.append(alphabet[Int(n & 63)])
            i += 3
        }
        let rest = raw.count - i
        if rest > 0 {
            let n = UInt32(raw[i]) << 16 | (rest == 2 ? UInt32(raw[i + 1]) << 8 : 0)
            out.append(alphabet[Int(n >> 18 & 63)]); out.append(alphabet[Int(n >> 12 & 63)])
            out.append(rest == 2 ? alphabet[Int(n >> 6 & 63)] : 0x3D)
            out.append(0x3D)
        }
    }

    static func encode(_ bytes: [UInt8]) -> String {
        let out = SecureBuffer(capacity: (bytes.count + 2) / 3 * 4 + 1)
        bytes.withUnsafeBytes { encode($0, into: out) }
        return String(decoding: out.bytes, as: UTF8.self)
    }

    /// The decoded length of `text` (ignoring JSON's "\/" escape backslashes and
    /// padding), or nil if it is not base64.
    static func decodedLength(_ text: UnsafeRawBufferPointer) -> Int? {
        var symbols = 0
        var padding = 0
        for c in text {
            if c == 0x5C { continue }                       // "\" of a JSON "\/" escape
            if c == 0x3D { padding += 1; continue }
            guard padding == 0, reverse[Int(c)] != 0xFF else { return nil }
            symbols += 1
        }
        guard padding <= 2, (symbols + padding) % 4 == 0 || padding == 0, symbols % 4 != 1 else { return nil }
        return symbols * 3 / 4
    }

    /// Decodes `text` into `out` (exactly `decodedLength(text)` bytes).
    static func decode(_ text: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer) {
        var accumulator: UInt32 = 0
        var bits = 0
        var o = 0
        for c in text where c != 0x5C && c != 0x3D {
            accumulator = accumulator << 6 | UInt32(reverse[Int(c)])
            bits += 6
            if bits >= 8 {
                bits -= 8
                out[o] = UInt8(truncatingIfNeeded: accumulator >> UInt32(bits))
                o += 1
            }
        }
        accumulator = 0
    }

    /// Decodes non-secret base64 (ciphertext blobs) into an array.
    static func decode(_ text: UnsafeRawBufferPointer) -> [UInt8]? {
        guard let length = decodedLength(text) else { return nil }
        var out = [UInt8](repeating: 0, count: length)
        out.withUnsafeMutableBytes { decode(text, into: $0) }
        return out
    }

    /// Decodes secret base64 (a plaintext key) into a `SecretBytes`. The decode
    /// buffer is a private allocation, wiped (OPENSSL_cleanse) and freed as soon as
    /// `SecretBytes` has its copy.
    static func decodeSecret(_ text: UnsafeRawBufferPointer) -> SecretBytes? {
        guard let length = decodedLength(text) else { return nil }
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: max(length, 1), alignment: 16)
        defer {
            secureWipe(scratch)
            scratch.deallocate()
        }
        let view = UnsafeMutableRawBufferPointer(rebasing: scratch[0..<length])
        decode(text, into: view)
        return SecretBytes(copying: UnsafeRawBufferPointer(view))
    }
}
