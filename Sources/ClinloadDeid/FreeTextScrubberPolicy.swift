/// What an extract does with a free-text column (T7). `drop` is the default: no
/// free text leaves unless the spec enables scrubbing, and even scrubbed text still
/// has to pass the release gate.
public enum FreeTextPolicy: String, Sendable, Codable, CaseIterable {
    /// The column is not in the extract; the manifest says why.
    case drop
    /// The column is in the extract, every value through `FreeTextScrubber`.
    case scrub

    public static let `default`: FreeTextPolicy = .drop

    /// As `DeidPolicy.scrubsFreeText` spells it.
    public init(scrubsFreeText: Bool) {
        self = scrubsFreeText ? .scrub : .drop
    }

    /// The column transform `DeidPolicy` chooses for a `free_text` column.
    public var columnTransform: ColumnTransform {
        switch self {
        case .drop: return .drop
        case .scrub: return .scrubFreeText
        }
    }

    /// The manifest's explanation for the column.
    public var manifestNote: String {
        switch self {
        case .drop: return "free text dropped: the extract's free-text policy is drop (the default)"
        case .scrub: return "free text scrubbed by \(FreeTextScrubber.version): the patient's vault identifiers and identifier patterns replaced"
        }
    }
}

/// A table of text values (a header and rows) on its way to an extract file.
public struct FreeTextTable: Sendable, Equatable {
    public var header: [String]
    public var rows: [[String?]]
    /// Per free-text column: what happened to it (`FreeTextPolicy.manifestNote`).
    public var notes: [String: String]

    public init(header: [String], rows: [[String?]], notes: [String: String] = [:]) {
        self.header = header
        self.rows = rows
        self.notes = notes
    }
}

extension FreeTextPolicy {
    /// Applies the policy to the free-text columns `textColumns` of `table`:
    /// `drop` removes them (header and every row), `scrub` replaces each value by
    /// `scrubber.scrub(value, known: known(rowIndex))` — `known` gives the identifiers
    /// of the patient of row `rowIndex` (0-based). Other columns are untouched.
    public func apply(
        to table: FreeTextTable, textColumns: Set<String>, scrubber: FreeTextScrubber,
        known: (Int) -> KnownIdentifiers
    ) -> FreeTextTable {
        let indices = table.header.indices.filter { textColumns.contains(table.header[$0]) }
        var notes = table.notes
        for index in indices { notes[table.header[index]] = manifestNote }
        switch self {
        case .drop:
            let keep = table.header.indices.filter { !indices.contains($0) }
            return FreeTextTable(
                header: keep.map { table.header[$0] },
                rows: table.rows.map { row in keep.map { $0 < row.count ? row[$0] : nil } },
                notes: notes)
        case .scrub:
            var rows = table.rows
            for r in rows.indices {
                let identifiers = known(r)
                for c in indices where c < rows[r].count {
                    if let value = rows[r][c] { rows[r][c] = scrubber.scrub(value, known: identifiers) }
                }
            }
            return FreeTextTable(header: table.header, rows: rows, notes: notes)
        }
    }
}
