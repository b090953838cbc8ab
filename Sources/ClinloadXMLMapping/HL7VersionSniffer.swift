import Foundation

/// Finds the HL7 version (MSH.12) of a v2 XML file's first message before
/// parsing, so the file is validated against that version's schema: element
/// names differ between versions, and a streaming validator needs its schema
/// before the first byte.
///
/// Reads at most the first 64 KiB; accepts `<MSH.12>2.3</MSH.12>` and
/// `<MSH.12><VID.1>2.5.1</VID.1></MSH.12>`, with or without a prefix.
public enum HL7VersionSniffer {
    public static func version(ofFile path: String) -> String? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        guard let data = try? handle.read(upToCount: 64 * 1024) else { return nil }
        return version(in: [UInt8](data))
    }

    public static func version(in bytes: [UInt8]) -> String? {
        let marker = Array("MSH.12".utf8)
        var i = 0
        while i + marker.count < bytes.count {
            guard bytes[i..<(i + marker.count)].elementsEqual(marker), i > 0,
                  bytes[i - 1] == UInt8(ascii: "<") || bytes[i - 1] == UInt8(ascii: ":"),
                  bytes[i + marker.count] == UInt8(ascii: ">")
            else { i += 1; continue }
            var j = i + marker.count + 1
            // Skip whitespace and any opening tags (VID.1) before the text.
            while j < bytes.count {
                if bytes[j] == 0x20 || bytes[j] == 0x0A || bytes[j] == 0x0D || bytes[j] == 0x09 { j += 1; continue }
                if bytes[j] == UInt8(ascii: "<"), j + 1 < bytes.count, bytes[j + 1] != UInt8(ascii: "/") {
                    while j < bytes.count, bytes[j] != UInt8(ascii: ">") { j += 1 }
                    j += 1
                    continue
                }
                break
            }
            let start = j
            while j < bytes.count, (bytes[j] >= 0x30 && bytes[j] <= 0x39) || bytes[j] == UInt8(ascii: ".") { j += 1 }
            return j > start ? String(decoding: bytes[start..<j], as: UTF8.self) : nil
        }
        return nil
    }
}
