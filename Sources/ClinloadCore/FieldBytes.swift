/// A record whose fields can be read as raw bytes, by position. The CSV reader's
/// records conform; validators and transforms work on this, not on one format.
public protocol FieldBytes {
    var fieldCount: Int { get }
    func withField<R>(_ index: Int, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R
}
