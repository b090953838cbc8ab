import ArgumentParser
import ClinloadCore
import ClinloadPostgres
import ClinloadStore
import Foundation

struct BatchesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "batches", abstract: "What ran, on which bytes, and how it ended (no record values).",
        subcommands: [List.self, Show.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List batches, newest first.")
        @Option(help: "Only batches in this state (running, loaded, rejected, failed).") var state: String?
        @OptionGroup var since: SinceOption
        @Option(help: "At most this many.") var limit = 50
        @OptionGroup var global: GlobalOptions

        func validate() throws {
            if let state, BatchState(rawValue: state) == nil {
                throw ValidationError("--state must be one of \(BatchState.allCases.map(\.rawValue).joined(separator: ", "))")
            }
        }

        func run() throws {
            try failing {
                let connection = try global.environment.connect()
                defer { connection.close() }
                let rows = try connection.query("""
                    SELECT batch_id::text, state, pipeline, to_char(registered_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'),
                           coalesce(records_read::text, '-'), coalesce(records_quarantined::text, '-'), coalesce(error_code, '')
                    FROM etl.batches
                    WHERE ($1::text IS NULL OR state = $1) AND ($2::text IS NULL OR registered_at >= $2::timestamptz)
                    ORDER BY registered_at DESC LIMIT $3
                    """, [state.map { .text($0) } ?? .null, since.since.map { .text($0) } ?? .null, .int(limit)])
                var table = [["BATCH", "STATE", "PIPELINE", "REGISTERED (UTC)", "READ", "QUARANTINED", "ERROR"]]
                for r in 0..<rows.rowCount { table.append((0..<7).map { rows.string(r, $0) ?? "" }) }
                print(TextTable.render(table))
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Everything recorded about one batch.")
        @Argument(help: "Batch id.") var id: String
        @OptionGroup var global: GlobalOptions

        func validate() throws {
            if UUID(uuidString: id) == nil { throw ValidationError("the batch id must be a UUID") }
        }

        func run() throws {
            try failing {
                let connection = try global.environment.connect()
                defer { connection.close() }
                let b = try connection.query("""
                    SELECT batch_id::text, state, pipeline, pipeline_version, pipeline_sha256, tool_version,
                           coalesce(data_key_id::text, '-'), coalesce(records_read::text, '-'), coalesce(records_quarantined::text, '-'),
                           coalesce((records_read - records_quarantined)::text, '-'), coalesce(rows_loaded::text, '-'), coalesce(error_code, '-'), coalesce(error_stage, '-'),
                           coalesce(error_detail::text, '-'), registered_at::text, coalesce(started_at::text, '-'),
                           coalesce(finished_at::text, '-'),
                           coalesce(extract(epoch FROM finished_at - started_at)::numeric(12,3)::text, '-'),
                           coalesce(replay_of::text, '-'), coalesce(timings::text, '-'),
                           coalesce((SELECT string_agg(r.batch_id::text, ', ') FROM etl.batches r WHERE r.replay_of = b.batch_id), '-'),
                           coalesce(superseded_by::text, '-'),
                           coalesce((SELECT string_agg(s.batch_id::text, ', ') FROM etl.batches s WHERE s.superseded_by = b.batch_id), '-')
                    FROM etl.batches b WHERE batch_id = $1::uuid
                    """, [.text(id)])
                guard b.rowCount == 1 else {
                    throw CommandFailure(ClinloadError(.usage, stage: .cli, "no batch with this id", attributes: [("batch_id", id.lowercased())]))
                }
                let labels = ["batch", "state", "pipeline", "pipeline version", "pipeline sha256", "tool version", "data key",
                              "records read", "records quarantined", "records valid", "rows loaded", "error code", "error stage", "error detail",
                              "registered", "started", "finished", "seconds", "replay of", "stage milliseconds", "replayed by",
                              "superseded by", "supersedes"]
                for (i, label) in labels.enumerated() {
                    print("\(label.padding(toLength: 20, withPad: " ", startingAt: 0)) \(b.string(0, i) ?? "-")")
                }
                let inputs = try connection.query(
                    "SELECT ordinal, path, sha256, bytes, coalesce(records::text, '-') FROM etl.batch_inputs WHERE batch_id = $1::uuid ORDER BY ordinal",
                    [.text(id)])
                for r in 0..<inputs.rowCount {
                    print("input \(inputs.string(r, 0)!)".padding(toLength: 20, withPad: " ", startingAt: 0)
                          + " \(inputs.string(r, 1)!)  sha256 \(inputs.string(r, 2)!)  \(inputs.string(r, 3)!) bytes  \(inputs.string(r, 4)!) records")
                }
                let reasons = try QuarantineStore.reasonCounts(connection: connection, batchId: UUID(uuidString: id)!)
                for reason in reasons {
                    print("quarantined".padding(toLength: 20, withPad: " ", startingAt: 0)
                          + " \(reason.count) × \(reason.field): \(reason.rule) (first at line \(reason.firstLine))")
                }
            }
        }
    }
}

/// Left-aligned columns separated by two spaces.
enum TextTable {
    static func render(_ rows: [[String]]) -> String {
        guard let first = rows.first else { return "" }
        let widths = (0..<first.count).map { c in rows.map { $0[c].count }.max() ?? 0 }
        return rows.map { row in
            zip(row, widths).enumerated().map { i, pair in
                i == row.count - 1 ? pair.0 : pair.0.padding(toLength: pair.1, withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}
