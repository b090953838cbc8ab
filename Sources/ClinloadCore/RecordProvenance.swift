/// Where one input record came from. Stored with every loaded and quarantined row
/// (row-level lineage) and used in every error message instead of the record's values.
public struct RecordProvenance: Sendable, Equatable {
    /// 1-based ordinal of the record within its input file (the header is not a record).
    public var ordinal: Int
    /// 1-based physical line where the record starts (a quoted field may span lines).
    public var line: Int

    public init(ordinal: Int, line: Int) {
        self.ordinal = ordinal
        self.line = line
    }
}
