import ClinloadCore
import ClinloadCrypto
import ClinloadEngine
import Foundation

/// The table printed after a run: one line per file, then where the data went.
struct RunSummary {
    let outcomes: [BatchOutcome]
    var notes: [String] = []
    let environment: RunEnvironment
    let chainHead: (seq: Int, hash: [UInt8])?

    var text: String {
        var lines: [String] = []
        let header = ["STATUS", "BATCH", "READ", "LOADED", "QUARANTINED", "SECONDS", "FILE"]
        var rows: [[String]] = [header]
        for o in outcomes {
            let loaded = o.status == .loaded ? "\(o.counts.recordsLoaded)" : "0"
            rows.append([o.status.rawValue, o.batchId.map { $0.uuidString.lowercased() } ?? "-", "\(o.counts.recordsRead)",
                         loaded, "\(o.counts.recordsQuarantined)", String(format: "%.2f", o.seconds), o.path])
        }
        lines.append(TextTable.render(rows))
        for o in outcomes {
            if let error = o.error { lines.append("  \(o.path): \(error)") }
            if !o.reasons.isEmpty, let batch = o.batchId {
                lines.append("  \(o.path): \(o.counts.recordsQuarantined) quarantined — `clinload quarantine list \(batch.uuidString.lowercased())` lists each record")
            }
            for r in o.reasons.prefix(10) {
                lines.append("    \(r.count) × \(r.field): \(r.rule) (first at line \(r.firstLine))")
            }
            if o.reasons.count > 10 { lines.append("    … \(o.reasons.count - 10) more reasons") }
        }
        if outcomes.contains(where: { $0.reasons.contains { $0.rule == "unknown_subject" } }) {
            lines.append("  unknown_subject: records name patients the vault does not hold yet: load their patient feed first (`run --all` orders feeds so), then `clinload replay` the batch.")
        }
        for o in outcomes where !o.superseded.isEmpty {
            lines.append("  \(o.path): supersedes batch \(o.superseded.map { $0.uuidString.lowercased() }.joined(separator: ", ")) (its per-batch rows removed)")
        }
        let earlierDefinition = outcomes.filter(\.loadedUnderEarlierDefinition).count
        if earlierDefinition > 0 {
            lines.append("  \(earlierDefinition) file(s) already loaded under an earlier definition of their pipeline: not loaded again. `clinload run --reload` loads them under this definition and supersedes the earlier batch (no row is duplicated).")
        }
        if outcomes.contains(where: { !$0.reasons.isEmpty }) {
            lines.append("  Fix quarantined records at their source (or the pipeline, if a rule is wrong), then load the corrected file; a rejected batch can be replayed with `clinload replay`.")
        }
        lines += notes.map { "  " + $0 }
        let loaded = outcomes.filter { $0.status == .loaded }
        let totalRows = loaded.reduce(0) { $0 + $1.counts.recordsLoaded }
        let totalQuarantined = outcomes.reduce(0) { $0 + $1.counts.recordsQuarantined }
        lines.append("")
        lines.append("batches: \(outcomes.count) (loaded \(loaded.count), already loaded \(outcomes.filter { $0.status == .alreadyLoaded }.count), rejected \(outcomes.filter { $0.status == .rejected }.count), failed \(outcomes.filter { $0.status == .failed }.count))")
        lines.append("records loaded: \(totalRows), quarantined: \(totalQuarantined)")
        let tables = Set(loaded.flatMap { $0.counts.rowsLoaded.keys }).sorted()
        if !tables.isEmpty { lines.append("tables: \(tables.joined(separator: ", ")) (identity.* holds only ciphertexts)") }
        lines.append("database: \(environment.databaseDisplay)")
        if let chainHead {
            lines.append("audit chain head: seq \(chainHead.seq) sha256 \(chainHead.hash.hexString)")
        } else {
            lines.append("audit chain head: unavailable (the database could not be reached)")
        }
        lines.append("peak memory: \(PeakMemory.megabytes) MB")
        return lines.joined(separator: "\n")
    }

    /// The worst outcome decides: a failure's own status, else 65 for a rejection.
    static func exitStatus(_ outcomes: [BatchOutcome]) -> ExitStatus {
        let statuses = outcomes.map(\.exitStatus)
        let order: [ExitStatus] = [.software, .configuration, .unavailable, .cannotCreate, .temporaryFailure, .dataError, .usage]
        return order.first { statuses.contains($0) } ?? .success
    }
}

enum PeakMemory {
    /// Peak resident set size of this process (getrusage; Linux reports KiB).
    static var megabytes: Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Int(usage.ru_maxrss) / 1024
    }
}
