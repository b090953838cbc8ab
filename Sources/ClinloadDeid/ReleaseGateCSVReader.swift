import ClinloadCore
import Foundation

/// A streaming RFC 4180 reader for the release gate: fields separated by commas,
/// records by CRLF or LF; a field in double quotes may hold commas, line breaks and
/// doubled quotes. Strict where leniency could hide a value from the gate: a quote
/// inside an unquoted field, text after a closing quote, an unterminated quoted
/// field, a bare CR, or bytes that are not UTF-8 throw. A UTF-8 byte order mark is
/// skipped. Reads 1 MiB at a time: files of any size.
struct ReleaseGateCSVReader {
    private let handle: FileHandle
    private let name: String
    private var buffer: [UInt8] = []
    private var position = 0
    private var atEOF = false
    private var started = false
    /// Records read so far (the header is record 1).
    private(set) var records = 0

    init(url: URL) throws {
        name = url.lastPathComponent
        do {
            handle = try FileHandle(forReadingFrom: url)
        } catch {
            throw ClinloadError(.inputUnreadable, stage: .validate, "release gate: cannot open an output file",
                                location: .init(file: name))
        }
    }

    private mutating func nextByte() throws -> UInt8? {
        if position == buffer.count {
            guard !atEOF else { return nil }
            let chunk: Data?
            do { chunk = try handle.read(upToCount: 1 << 20) } catch {
                throw ClinloadError(.inputUnreadable, stage: .validate, "release gate: cannot read an output file",
                                    location: .init(file: name))
            }
            guard let chunk, !chunk.isEmpty else { atEOF = true; return nil }
            buffer = [UInt8](chunk)
            position = 0
            if !started {
                started = true
                if buffer.starts(with: [0xEF, 0xBB, 0xBF]) { position = 3 }
                if position == buffer.count { return try nextByte() }
            }
        }
        defer { position += 1 }
        return buffer[position]
    }

    private mutating func peekByte() throws -> UInt8? {
        guard let byte = try nextByte() else { return nil }
        position -= 1
        return byte
    }

    private enum State { case fieldStart, unquoted, quoted, quoteInQuoted }

    /// The next record's fields, or nil at the end of the file.
    mutating func nextRecord() throws -> [String]? {
        var fields: [String] = []
        var field: [UInt8] = []
        var state = State.fieldStart
        var sawAnything = false

        func endField() throws {
            guard let text = String(validating: field, as: UTF8.self) else {
                throw ClinloadError(.invalidUTF8, stage: .validate, "release gate: an output file is not UTF-8",
                                    location: .init(file: name, record: records + 1))
            }
            fields.append(text)
            field.removeAll(keepingCapacity: true)
        }
        func malformed(_ hint: StaticString) -> ClinloadError {
            ClinloadError(.malformedCSV, stage: .validate, hint, location: .init(file: name, record: records + 1))
        }

        while true {
            guard let byte = try nextByte() else {
                switch state {
                case .quoted:
                    throw malformed("release gate: a quoted field is not closed before the end of the file")
                case .fieldStart where !sawAnything:
                    return nil
                default:
                    try endField()
                    records += 1
                    return fields
                }
            }
            sawAnything = true
            switch (state, byte) {
            case (.quoted, UInt8(ascii: "\"")):
                state = .quoteInQuoted
            case (.quoted, _):
                field.append(byte)
            case (.quoteInQuoted, UInt8(ascii: "\"")):
                field.append(byte)
                state = .quoted
            case (.fieldStart, UInt8(ascii: "\"")):
                state = .quoted
            case (.unquoted, UInt8(ascii: "\"")):
                throw malformed("release gate: a double quote inside an unquoted field")
            case (_, UInt8(ascii: ",")):
                try endField()
                state = .fieldStart
            case (_, 0x0A):
                try endField()
                records += 1
                return fields
            case (_, 0x0D):
                guard try peekByte() == 0x0A else { throw malformed("release gate: a carriage return outside a quoted field ends no line") }
                _ = try nextByte()
                try endField()
                records += 1
                return fields
            case (.quoteInQuoted, _):
                throw malformed("release gate: text after the closing quote of a field")
            case (.fieldStart, _), (.unquoted, _):
                field.append(byte)
                state = .unquoted
            }
        }
    }
}
