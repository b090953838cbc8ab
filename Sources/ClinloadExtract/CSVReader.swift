import ClinloadCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A streaming RFC 4180 CSV reader over a file descriptor.
///
/// Written by hand rather than taken from a library because it sits on the hot
/// path of every CSV batch: it reads fixed 1 MiB blocks, copies runs of plain
/// bytes at a time, and refills one reusable `CSVRecord`, so memory stays flat
/// however large the file is.
///
/// Accepts quoted fields (with commas, doubled quotes and line breaks), LF or CRLF
/// record ends, a UTF-8 byte-order mark, and skips blank lines. A record whose
/// bytes break the rules (stray quote, bare CR, invalid UTF-8, unterminated quote)
/// is still returned, with `problem` set, so the caller can quarantine and count
/// it. Only a record larger than `maxRecordBytes` is fatal: past that the file's
/// structure cannot be trusted.
public final class CSVReader {
    public let path: String
    /// The name used in errors (the path as the user gave it).
    public let displayName: String
    public let maxRecordBytes: Int

    private let fd: Int32
    private let buffer: UnsafeMutablePointer<UInt8>
    private let capacity: Int
    private var position = 0
    private var filled = 0
    private var reachedEOF = false
    private var line = 1
    private var ordinal: Int
    private var checkedBOM = false
    /// The current field holds bytes to look at once it ends: non-ASCII (checked
    /// as UTF-8) or NUL (which no PostgreSQL text value can hold: one such byte
    /// in a clinical column had failed the whole batch with SQLSTATE 22021).
    private var fieldNeedsCheck = false
    /// The physical line where the current field began (a quoted field may span lines).
    private var fieldStartLine = 1

    /// Bytes read from the file so far.
    public private(set) var bytesRead = 0

    private static let quote = UInt8(ascii: "\"")
    private static let comma = UInt8(ascii: ",")
    private static let lf = UInt8(ascii: "\n")
    private static let cr = UInt8(ascii: "\r")

    /// With `header: true` the first record is the header: it gets ordinal 0 and
    /// data records are numbered from 1, as provenance promises.
    public init(path: String, displayName: String? = nil, header: Bool = false, bufferSize: Int = 1 << 20,
                maxRecordBytes: Int = 1 << 24) throws {
        self.path = path
        ordinal = header ? -1 : 0
        self.displayName = displayName ?? path
        self.maxRecordBytes = maxRecordBytes
        fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw ClinloadError(.inputUnreadable, stage: .extract, "cannot open the input file",
                                location: .init(file: displayName ?? path), attributes: [("errno", "\(errno)")])
        }
        capacity = max(bufferSize, 16)
        buffer = .allocate(capacity: capacity)
    }

    deinit {
        close(fd)
        buffer.deallocate()
    }

    /// Reads the next record into `record`. Returns false at the end of the file.
    public func read(into record: inout CSVRecord) throws -> Bool {
        if !checkedBOM { try skipByteOrderMark() }
        guard try skipBlankLines() else { return false }
        ordinal += 1
        record.reset(ordinal: ordinal, line: line)
        while true {
            fieldNeedsCheck = false
            fieldStartLine = line
            if try peek() == Int(Self.quote) {
                position += 1
                if try readQuotedField(into: &record) { return true }
            } else {
                if try readUnquotedField(into: &record) { return true }
            }
        }
    }

    // MARK: fields

    /// Reads an unquoted field and its terminator. Returns true if it ended the record.
    private func readUnquotedField(into record: inout CSVRecord) throws -> Bool {
        while true {
            if position == filled {
                try refill()
                if position == filled { return finishField(&record, endsRecord: true) }
            }
            var i = position
            var special: UInt8 = 0
            while i < filled {
                let c = buffer[i]
                if c == Self.comma || c == Self.lf || c == Self.cr || c == Self.quote { special = c; break }
                if c >= 0x80 || c == 0 { fieldNeedsCheck = true }
                i += 1
            }
            try append(from: position, to: i, into: &record)
            position = i
            if i == filled { continue }
            position += 1
            switch special {
            case Self.comma:
                return finishField(&record, endsRecord: false)
            case Self.lf:
                line += 1
                return finishField(&record, endsRecord: true)
            case Self.cr:
                if try peek() == Int(Self.lf) {
                    position += 1
                    line += 1
                    return finishField(&record, endsRecord: true)
                }
                note(.bare_carriage_return, in: &record)
                try append(byte: Self.cr, into: &record)
            default: // a quote inside an unquoted field
                note(.stray_quote, in: &record)
                try append(byte: Self.quote, into: &record)
            }
        }
    }

    /// Reads a quoted field (after its opening quote) and its terminator. Returns
    /// true if it ended the record.
    private func readQuotedField(into record: inout CSVRecord) throws -> Bool {
        while true {
            if position == filled {
                try refill()
                if position == filled {
                    note(.unterminated_quote, in: &record)
                    return finishField(&record, endsRecord: true)
                }
            }
            var i = position
            while i < filled {
                let c = buffer[i]
                if c == Self.quote { break }
                if c == Self.lf { line += 1 } else if c >= 0x80 || c == 0 { fieldNeedsCheck = true }
                i += 1
            }
            try append(from: position, to: i, into: &record)
            position = i
            if i == filled { continue }
            position += 1 // the quote
            let next = try peek()
            if next == Int(Self.quote) { // an escaped quote
                position += 1
                try append(byte: Self.quote, into: &record)
                continue
            }
            // The closing quote: a separator, a record end or the file end must follow.
            switch next {
            case -1:
                return finishField(&record, endsRecord: true)
            case Int(Self.comma):
                position += 1
                return finishField(&record, endsRecord: false)
            case Int(Self.lf):
                position += 1
                line += 1
                return finishField(&record, endsRecord: true)
            case Int(Self.cr):
                position += 1
                if try peek() == Int(Self.lf) {
                    position += 1
                    line += 1
                    return finishField(&record, endsRecord: true)
                }
                note(.bare_carriage_return, in: &record)
                return try readUnquotedField(into: &record)
            default:
                // Text after the closing quote: keep it in the field, flag the record.
                note(.stray_quote, in: &record)
                return try readUnquotedField(into: &record)
            }
        }
    }

    private func finishField(_ record: inout CSVRecord, endsRecord: Bool) -> Bool {
        let start = record.fieldEnds.last ?? 0
        record.fieldEnds.append(record.storage.count)
        if fieldNeedsCheck {
            let (valid, hasNul) = record.storage.withUnsafeBufferPointer {
                let field = UnsafeBufferPointer(rebasing: $0[start...])
                return (UTF8Check.isValid(field), field.contains(0))
            }
            if !valid { note(.invalid_utf8, in: &record, field: record.fieldEnds.count - 1, line: fieldStartLine) }
            if hasNul { note(.nul_byte, in: &record, field: record.fieldEnds.count - 1, line: fieldStartLine) }
        }
        fieldNeedsCheck = false
        return endsRecord
    }

    private func note(_ rule: CSVProblem.Rule, in record: inout CSVRecord, field: Int? = nil, line: Int? = nil) {
        guard record.problem == nil else { return }
        record.problem = CSVProblem(rule: rule, fieldIndex: field ?? record.fieldEnds.count, line: line ?? self.line)
    }

    // MARK: bytes

    private func append(from start: Int, to end: Int, into record: inout CSVRecord) throws {
        guard end > start else { return }
        record.storage.append(contentsOf: UnsafeBufferPointer(start: buffer + start, count: end - start))
        try checkSize(record)
    }

    private func append(byte: UInt8, into record: inout CSVRecord) throws {
        record.storage.append(byte)
        try checkSize(record)
    }

    private func checkSize(_ record: CSVRecord) throws {
        if record.storage.count > maxRecordBytes {
            throw ClinloadError(.malformedCSV, stage: .extract, "a record is larger than the limit; the file's quoting is probably broken",
                                location: .init(file: displayName, line: record.provenance.line, record: record.provenance.ordinal,
                                                rule: "max_record_bytes"))
        }
    }

    private func peek() throws -> Int {
        if position == filled {
            try refill()
            if position == filled { return -1 }
        }
        return Int(buffer[position])
    }

    private func refill() throws {
        position = 0
        filled = 0
        guard !reachedEOF else { return }
        while true {
            let n = Glibc.read(fd, buffer, capacity)
            if n < 0 {
                if errno == EINTR { continue }
                throw ClinloadError(.inputUnreadable, stage: .extract, "reading the input file failed",
                                    location: .init(file: displayName, line: line), attributes: [("errno", "\(errno)")])
            }
            if n == 0 { reachedEOF = true }
            filled = n
            bytesRead += n
            return
        }
    }

    private func skipByteOrderMark() throws {
        checkedBOM = true
        guard try peek() == 0xEF else { return }
        // The first block holds at least 3 bytes of any file that has a BOM.
        if filled - position >= 3, buffer[position + 1] == 0xBB, buffer[position + 2] == 0xBF { position += 3 }
    }

    /// Skips empty lines between records; false at the end of the file.
    private func skipBlankLines() throws -> Bool {
        while true {
            switch try peek() {
            case -1:
                return false
            case Int(Self.lf):
                position += 1
                line += 1
            case Int(Self.cr):
                position += 1
                if try peek() == Int(Self.lf) { position += 1 }
                line += 1
            default:
                return true
            }
        }
    }
}
