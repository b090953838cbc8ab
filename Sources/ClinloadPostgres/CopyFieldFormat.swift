/// How one field of a COPY row is written: the binary format (vault and deferred
/// rows, bytea ciphertexts) or the text format (clinical rows that PostgreSQL's
/// input functions convert to each column's type on the way in). Code that
/// produces the same values for both, such as the clinical columns of a record,
/// is written once against this.
public protocol CopyFieldFormat {
    /// SQL NULL.
    static func appendNull(into out: inout [UInt8])
    /// A value given as its bytes (text as UTF-8).
    static func appendBytes(_ bytes: UnsafeRawBufferPointer, into out: inout [UInt8])
    /// A value that `body` appends to `out` itself (a pseudonym, a normalised
    /// timestamp), without an intermediate buffer.
    static func appendValue(into out: inout [UInt8], _ body: (inout [UInt8]) throws -> Void) rethrows
}

extension BinaryCopyEncoder: CopyFieldFormat {}
