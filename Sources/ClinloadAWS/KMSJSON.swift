import ClinloadCrypto
import Foundation

/// The little JSON the KMS JSON 1.1 protocol needs, done over raw bytes so that a
/// base64 plaintext key is never turned into a Swift String, NSString or Data
/// that cannot be wiped: requests are written into a `SecureBuffer`, responses
/// are scanned in place and only the ranges of the wanted fields are read.
enum KMSJSON {
    // MARK: writing

    /// A JSON object written field by field into a `SecureBuffer`.
    struct ObjectWriter {
        let out: SecureBuffer
        private var first = true

        init(into out: SecureBuffer) {
            self.out = out
            out.append(UInt8(ascii: "{"))
        }

        private mutating func key(_ name: String) {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            KMSJSON.writeString(name, into: out)
            out.append(UInt8(ascii: ":"))
        }

        mutating func string(_ name: String, _ value: String) {
            key(name)
            KMSJSON.writeString(value, into: out)
        }

        mutating func stringMap(_ name: String, _ map: [String: String]) {
            key(name)
            out.append(UInt8(ascii: "{"))
            for (i, k) in map.keys.sorted().enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                KMSJSON.writeString(k, into: out)
                out.append(UInt8(ascii: ":"))
                KMSJSON.writeString(map[k]!, into: out)
            }
            out.append(UInt8(ascii: "}"))
        }

        /// A base64 field written straight from `raw` (the plaintext of Encrypt).
        mutating func base64(_ name: String, _ raw: UnsafeRawBufferPointer) {
            key(name)
            out.append(UInt8(ascii: "\""))
            Base64.encode(raw, into: out)
            out.append(UInt8(ascii: "\""))
        }

        func finish() {
            out.append(UInt8(ascii: "}"))
        }
    }

    static func writeString(_ text: String, into out: SecureBuffer) {
        let hex = Array("0123456789abcdef".utf8)
        out.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case 0x22: out.append(0x5C); out.append(0x22)
            case 0x5C: out.append(0x5C); out.append(0x5C)
            case 0x0A: out.append(0x5C); out.append(UInt8(ascii: "n"))
            case 0x0D: out.append(0x5C); out.append(UInt8(ascii: "r"))
            case 0x09: out.append(0x5C); out.append(UInt8(ascii: "t"))
            case 0x00..<0x20:
                for c in Array("\\u00".utf8) { out.append(c) }
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0x0F)])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    // MARK: scanning

    /// The top-level members of a JSON object: for each key, the byte range of a
    /// string value's contents (between the quotes, escapes left as they are), or
    /// of any other value as written. Nested values are skipped, not parsed.
    struct Members {
        var strings: [String: Range<Int>] = [:]
        var others: [String: Range<Int>] = [:]
    }

    struct Malformed: Error {}

    static func scanObject(_ bytes: UnsafeRawBufferPointer) throws -> Members {
        var i = 0
        var members = Members()
        func skipSpace() {
            while i < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[i]) { i += 1 }
        }
        func expect(_ c: UInt8) throws {
            skipSpace()
            guard i < bytes.count, bytes[i] == c else { throw Malformed() }
            i += 1
        }
        /// The range inside a string starting at bytes[i] == '"'.
        func stringRange() throws -> Range<Int> {
            guard i < bytes.count, bytes[i] == 0x22 else { throw Malformed() }
            i += 1
            let start = i
            while i < bytes.count, bytes[i] != 0x22 {
                if bytes[i] == 0x5C { i += 1 }
                i += 1
            }
            guard i < bytes.count else { throw Malformed() }
            let range = start..<i
            i += 1
            return range
        }
        func skipValue() throws {
            skipSpace()
            guard i < bytes.count else { throw Malformed() }
            switch bytes[i] {
            case 0x22: _ = try stringRange()
            case 0x7B, 0x5B:
                var depth = 0
                repeat {
                    guard i < bytes.count else { throw Malformed() }
                    switch bytes[i] {
                    case 0x22: _ = try stringRange(); continue
                    case 0x7B, 0x5B: depth += 1
                    case 0x7D, 0x5D: depth -= 1
                    default: break
                    }
                    i += 1
                } while depth > 0
            default:
                while i < bytes.count, ![0x2C, 0x7D, 0x5D, 0x20, 0x09, 0x0A, 0x0D].contains(bytes[i]) { i += 1 }
            }
        }

        try expect(0x7B)
        skipSpace()
        if i < bytes.count, bytes[i] == 0x7D { return members }
        while true {
            skipSpace()
            let keyRange = try stringRange()
            let key = try unescape(UnsafeRawBufferPointer(rebasing: bytes[keyRange]))
            try expect(0x3A)
            skipSpace()
            if i < bytes.count, bytes[i] == 0x22 {
                members.strings[key] = try stringRange()
            } else {
                let start = i
                try skipValue()
                members.others[key] = start..<i
            }
            skipSpace()
            guard i < bytes.count else { throw Malformed() }
            if bytes[i] == 0x2C { i += 1; continue }
            if bytes[i] == 0x7D { return members }
            throw Malformed()
        }
    }

    /// A JSON string's contents (escapes resolved) as a Swift String — for
    /// non-secret fields only.
    static func unescape(_ raw: UnsafeRawBufferPointer) throws -> String {
        var out = [UInt8]()
        out.reserveCapacity(raw.count)
        var i = 0
        func hex4(_ at: Int) throws -> UInt32 {
            guard at + 4 <= raw.count, let v = UInt32(String(decoding: UnsafeRawBufferPointer(rebasing: raw[at..<(at + 4)]), as: UTF8.self), radix: 16)
            else { throw Malformed() }
            return v
        }
        while i < raw.count {
            let c = raw[i]
            guard c == 0x5C else { out.append(c); i += 1; continue }
            guard i + 1 < raw.count else { throw Malformed() }
            let e = raw[i + 1]
            i += 2
            switch e {
            case UInt8(ascii: "\""): out.append(0x22)
            case UInt8(ascii: "\\"): out.append(0x5C)
            case UInt8(ascii: "/"): out.append(0x2F)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4(i)
                i += 4
                if (0xD800..<0xDC00).contains(scalar), i + 6 <= raw.count, raw[i] == 0x5C, raw[i + 1] == UInt8(ascii: "u") {
                    let low = try hex4(i + 2)
                    if (0xDC00..<0xE000).contains(low) {
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        i += 6
                    }
                }
                out.append(contentsOf: Array(String(Character(Unicode.Scalar(scalar) ?? "\u{FFFD}")).utf8))
            default: throw Malformed()
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
