import CLibPQ
import Foundation

/// The rows of a completed statement (text format), owned until deinit.
public final class PostgresResult {
    let handle: OpaquePointer

    init(_ handle: OpaquePointer) { self.handle = handle }
    deinit { PQclear(handle) }

    public var rowCount: Int { Int(PQntuples(handle)) }
    public var columnCount: Int { Int(PQnfields(handle)) }

    /// Rows affected by INSERT / UPDATE / DELETE / COPY.
    public var affectedRows: Int { Int(String(cString: PQcmdTuples(handle))) ?? 0 }

    public func isNull(_ row: Int, _ column: Int) -> Bool { PQgetisnull(handle, Int32(row), Int32(column)) == 1 }

    public func string(_ row: Int, _ column: Int) -> String? {
        isNull(row, column) ? nil : String(cString: PQgetvalue(handle, Int32(row), Int32(column)))
    }

    public func int(_ row: Int, _ column: Int) -> Int? { string(row, column).flatMap { Int($0) } }

    /// A bytea column in text format (`\x` hex) decoded to bytes.
    public func bytes(_ row: Int, _ column: Int) -> [UInt8]? {
        guard !isNull(row, column) else { return nil }
        var length = 0
        guard let raw = PQunescapeBytea(PQgetvalue(handle, Int32(row), Int32(column)), &length) else { return nil }
        defer { PQfreemem(raw) }
        return Array(UnsafeBufferPointer(start: raw, count: length))
    }

    public func columnName(_ column: Int) -> String { String(cString: PQfname(handle, Int32(column))) }

    /// A uuid column in text format (`8-4-4-4-12` hex digits), read in place:
    /// look-ups return thousands per chunk, and Foundation's `UUID(uuidString:)`
    /// parses with `sscanf` (5% of an event load's CPU).
    public func uuid(_ row: Int, _ column: Int) -> UUID? {
        guard !isNull(row, column), PQgetlength(handle, Int32(row), Int32(column)) == 36,
              let text = PQgetvalue(handle, Int32(row), Int32(column)) else { return nil }
        return UUID(canonicalText: UnsafeRawPointer(text).assumingMemoryBound(to: UInt8.self))
    }
}

extension UUID {
    /// The UUID spelt by 36 bytes at `text` in the canonical form, either case;
    /// nil if they are not one.
    init?(canonicalText text: UnsafePointer<UInt8>) {
        var bytes: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        let ok = withUnsafeMutableBytes(of: &bytes) { out -> Bool in
            var i = 0
            for k in 0..<16 {
                if i == 8 || i == 13 || i == 18 || i == 23 {
                    guard text[i] == 0x2D else { return false }   // "-"
                    i += 1
                }
                guard let high = Self.nibble(text[i]), let low = Self.nibble(text[i + 1]) else { return false }
                out[k] = high << 4 | low
                i += 2
            }
            return true
        }
        guard ok else { return nil }
        self.init(uuid: bytes)
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: return c - 0x30
        case 0x61...0x66: return c - 0x61 + 10
        case 0x41...0x46: return c - 0x41 + 10
        default: return nil
        }
    }
}
