import ClinloadCore

/// One CSV record, its fields unescaped into a single byte buffer.
///
/// The reader refills the same record for every row (no per-field allocation):
/// hot paths read a field as bytes with `withField`, and only build a `String`
/// where a string is genuinely needed.
public struct CSVRecord: Sendable, FieldBytes {
    /// The unescaped bytes of all fields, back to back.
    public internal(set) var storage: [UInt8] = []
    /// `fieldEnds[i]` is the end offset of field `i` in `storage`.
    public internal(set) var fieldEnds: [Int] = []
    public internal(set) var provenance = RecordProvenance(ordinal: 0, line: 0)
    /// A syntax or encoding problem found while reading this record. The record is
    /// still returned (so it can be quarantined and counted), never silently dropped.
    public internal(set) var problem: CSVProblem?

    public init() {
        storage.reserveCapacity(512)
        fieldEnds.reserveCapacity(32)
    }

    public var fieldCount: Int { fieldEnds.count }

    public func fieldRange(_ index: Int) -> Range<Int> {
        (index == 0 ? 0 : fieldEnds[index - 1])..<fieldEnds[index]
    }

    public func fieldLength(_ index: Int) -> Int { fieldRange(index).count }

    /// Calls `body` with the bytes of field `index`, without copying.
    @inlinable
    public func withField<R>(_ index: Int, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        let start = index == 0 ? 0 : fieldEnds[index - 1]
        let end = fieldEnds[index]
        return try storage.withUnsafeBufferPointer { all in
            try body(UnsafeBufferPointer(rebasing: all[start..<end]))
        }
    }

    /// Field `index` as a String (the reader has already checked it is UTF-8).
    public func string(_ index: Int) -> String {
        withField(index) { String(decoding: $0, as: UTF8.self) }
    }

    mutating func reset(ordinal: Int, line: Int) {
        storage.removeAll(keepingCapacity: true)
        fieldEnds.removeAll(keepingCapacity: true)
        provenance = RecordProvenance(ordinal: ordinal, line: line)
        problem = nil
    }
}

/// What was wrong with the bytes of a record, by rule name (never the bytes).
public struct CSVProblem: Sendable, Equatable {
    public enum Rule: String, Sendable {
        /// A `"` inside an unquoted field, or text after a closing quote.
        case stray_quote
        /// A quoted field still open at the end of the file.
        case unterminated_quote
        /// A carriage return not followed by a line feed, outside quotes.
        case bare_carriage_return
        /// Bytes that are not valid UTF-8.
        case invalid_utf8
        /// A NUL byte (0x00): valid UTF-8, but no PostgreSQL text value can hold it.
        case nul_byte
    }
    public var rule: Rule
    /// 0-based index of the field where the problem was found.
    public var fieldIndex: Int
    /// Physical line of the problem (may differ from the record's first line).
    public var line: Int
}

extension CSVRecord {
    /// The record written back as one RFC 4180 line (fields quoted where needed),
    /// for the encrypted quarantine copy.
    public func encodedLine() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(storage.count + fieldCount * 3)
        for index in 0..<fieldCount {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            withField(index) { value in
                let needsQuotes = value.contains { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 0x0A || $0 == 0x0D }
                if needsQuotes { out.append(UInt8(ascii: "\"")) }
                for b in value {
                    if b == UInt8(ascii: "\"") { out.append(b) }
                    out.append(b)
                }
                if needsQuotes { out.append(UInt8(ascii: "\"")) }
            }
        }
        return out
    }
}
