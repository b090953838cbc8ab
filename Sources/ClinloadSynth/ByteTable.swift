/// A list of strings stored as one contiguous UTF-8 byte block plus offsets.
///
/// Why: the generator picks a name, street or town for every field of every row;
/// appending a slice of one shared block is a bounds check and a `memcpy`, with no
/// `String` bridging, no per-entry object and no reference counting per pick
/// (profiling showed retain/release of array-backed tables in the hot loop).
///
/// The storage is allocated once and deliberately never freed: tables are built
/// once per process (from `static let`s) and live as long as it does. It is
/// immutable after `init`, which is why `@unchecked Sendable` is sound here.
struct ByteTable: @unchecked Sendable {
    /// All entries' UTF-8, back to back (immutable, never freed).
    private let bytes: UnsafePointer<UInt8>
    /// `starts[i]..<starts[i + 1]` is entry `i` (immutable, never freed).
    private let starts: UnsafeBufferPointer<Int>

    init(_ strings: [String]) {
        var allBytes: [UInt8] = []
        var allStarts: [Int] = [0]
        for string in strings {
            allBytes.append(contentsOf: string.utf8)
            allStarts.append(allBytes.count)
        }
        let bytes = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: max(1, allBytes.count))
        _ = bytes.initialize(from: allBytes)
        let starts = UnsafeMutableBufferPointer<Int>.allocate(capacity: allStarts.count)
        _ = starts.initialize(from: allStarts)
        self.bytes = UnsafePointer(bytes.baseAddress!)
        self.starts = UnsafeBufferPointer(starts)
    }

    var count: Int { starts.count - 1 }

    /// Entry `index`'s UTF-8 (valid for the life of the process).
    @inline(__always)
    func utf8(_ index: Int) -> UnsafeBufferPointer<UInt8> {
        precondition(index >= 0, "ByteTable index out of range")
        precondition(index < starts.count - 1, "ByteTable index out of range")
        let start = starts[index]
        return UnsafeBufferPointer(start: bytes + start, count: starts[index + 1] - start)
    }

    /// Entry `index` as a `String` (tests and diagnostics; not for the hot loop).
    subscript(index: Int) -> String {
        String(decoding: utf8(index), as: UTF8.self)
    }

    /// All entries as strings (tests and diagnostics).
    var strings: [String] { (0..<count).map { self[$0] } }
}

extension CSVLineWriter {
    /// Appends entry `index` of `table` to the field being built.
    @inline(__always)
    mutating func append(_ table: ByteTable, _ index: Int) {
        append(table.utf8(index))
    }
}
