/// k-anonymity over declared quasi-identifiers: how many patients share each
/// combination of their values. The smallest group is k; a combination held by
/// one patient singles that patient out.
public struct KAnonymity: Sendable, Equatable {
    public var minimumK: Int
    public var uniqueCombinations: Int
    public var groups: Int
    /// Rows (by index) in groups smaller than the threshold asked for.
    public var rowsBelowThreshold: [Int]

    /// `rows[i]` = the quasi-identifier values of patient row i (nil = no value,
    /// which is itself a value: a missing ZIP3 does not make anyone unique less).
    public init(rows: [[String?]], threshold: Int? = nil) {
        var counts: [[String?]: Int] = [:]
        for row in rows { counts[row, default: 0] += 1 }
        minimumK = counts.values.min() ?? 0
        uniqueCombinations = counts.values.filter { $0 == 1 }.count
        groups = counts.count
        if let threshold {
            rowsBelowThreshold = rows.indices.filter { counts[rows[$0], default: 0] < threshold }
        } else {
            rowsBelowThreshold = []
        }
    }
}
