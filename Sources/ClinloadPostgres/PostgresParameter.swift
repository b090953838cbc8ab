import CLibPQ
#if canImport(Glibc)
import Glibc
#endif

/// A statement parameter: text (server infers the type), bytes (bytea, sent
/// binary) or NULL. Parameters travel separately from the SQL text, so values
/// never appear in the statement (or in pg_stat_activity's query column).
public enum PostgresParameter: Sendable {
    case text(String)
    case bytes([UInt8])
    /// A `bytea[]` (one dimension, no NULLs), sent in binary: a chunk's look-up
    /// passes thousands of keys, which as a text literal cost the client hex
    /// encoding and the server `array_in` parsing.
    case byteaArray([[UInt8]])
    case null

    public static func int(_ value: Int) -> PostgresParameter { .text(String(value)) }
}

extension PostgresParameter {
    /// The parameters as libpq's parallel arrays (count, types, values, lengths,
    /// formats), valid inside `body` only.
    static func withLibpqArrays<R>(
        _ parameters: [PostgresParameter],
        _ body: (Int32, [Oid], UnsafePointer<UnsafePointer<CChar>?>?, [Int32], [Int32]) -> R
    ) -> R {
        var types: [Oid] = []
        var formats: [Int32] = []
        var lengths: [Int32] = []
        var buffers: [UnsafeMutablePointer<CChar>?] = []
        defer { buffers.forEach { free($0) } }
        for parameter in parameters {
            switch parameter {
            case .text(let s):
                types.append(0)
                formats.append(0)
                lengths.append(0)
                buffers.append(strdup(s))
            case .bytes(let b):
                types.append(17) // bytea
                formats.append(1)
                lengths.append(Int32(b.count))
                let p = UnsafeMutablePointer<CChar>.allocate(capacity: max(b.count, 1))
                b.withUnsafeBytes { raw in
                    if raw.count > 0 { UnsafeMutableRawPointer(p).copyMemory(from: raw.baseAddress!, byteCount: raw.count) }
                }
                buffers.append(p)
            case .byteaArray(let elements):
                // Binary array format: dimensions, has-nulls flag, element type,
                // then size and lower bound per dimension, then each element.
                var encoded: [UInt8] = []
                encoded.reserveCapacity(20 + elements.reduce(0) { $0 + 4 + $1.count })
                func int32(_ v: Int32) { withUnsafeBytes(of: v.bigEndian) { encoded.append(contentsOf: $0) } }
                int32(elements.isEmpty ? 0 : 1)   // an empty array has no dimension
                int32(0)
                int32(17) // bytea
                if !elements.isEmpty {
                    int32(Int32(elements.count))
                    int32(1)
                }
                for element in elements {
                    int32(Int32(element.count))
                    encoded += element
                }
                types.append(1001) // bytea[]
                formats.append(1)
                lengths.append(Int32(encoded.count))
                let p = UnsafeMutablePointer<CChar>.allocate(capacity: encoded.count)
                encoded.withUnsafeBytes { UnsafeMutableRawPointer(p).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
                buffers.append(p)
            case .null:
                types.append(0)
                formats.append(0)
                lengths.append(0)
                buffers.append(nil)
            }
        }
        return buffers.withUnsafeBufferPointer { values in
            values.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: max(values.count, 1)) { valuePointers in
                body(Int32(parameters.count), types, values.isEmpty ? nil : valuePointers, lengths, formats)
            }
        }
    }
}

extension PostgresParameter: ExpressibleByStringLiteral {
    public init(stringLiteral value: String) { self = .text(value) }
}
