import ArgumentParser
import ClinloadCore
import ClinloadPostgres
import Foundation

/// What was set aside in a batch and why: positions and rules, never values
/// (the records themselves stay encrypted under the batch key).
struct QuarantineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quarantine", abstract: "Records set aside by a batch: where they are and which rule they broke.",
        subcommands: [List.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a batch's quarantined records with their reasons.")
        @Argument(help: "Batch id.") var id: String
        @Flag(help: "One JSON object per record (for scripts).") var json = false
        @Option(help: "At most this many records.") var limit = 1000
        @OptionGroup var global: GlobalOptions

        func validate() throws {
            if UUID(uuidString: id) == nil { throw ValidationError("the batch id must be a UUID") }
        }

        func run() throws {
            try failing {
                let connection = try global.environment.connect()
                defer { connection.close() }
                let batch = try connection.query("""
                    SELECT b.pipeline, coalesce(i.path, '-') FROM etl.batches b
                    LEFT JOIN etl.batch_inputs i ON i.batch_id = b.batch_id AND i.ordinal = 1 WHERE b.batch_id = $1::uuid
                    """, [.text(id)])
                guard batch.rowCount == 1 else {
                    throw CommandFailure(ClinloadError(.usage, stage: .cli, "no batch with this id", attributes: [("batch_id", id.lowercased())]))
                }
                let file = batch.string(0, 1) ?? "-"
                let rows = try connection.query("""
                    SELECT source_ordinal, source_line, coalesce(source_offset::text, ''), coalesce(source_ref, ''), reasons::text,
                           payload IS NOT NULL
                    FROM etl.quarantine WHERE batch_id = $1::uuid ORDER BY input_ordinal, source_ordinal LIMIT $2
                    """, [.text(id), .int(limit)])
                if json {
                    for r in 0..<rows.rowCount {
                        var object: [String: CanonicalJSON] = [
                            "batch_id": .string(id.lowercased()), "file": .string(file),
                            "record": .int(rows.int(r, 0) ?? 0), "line": .int(rows.int(r, 1) ?? 0),
                            "payload_encrypted": .bool(rows.string(r, 5) == "t"),
                        ]
                        if let offset = Int(rows.string(r, 2) ?? "") { object["byte_offset"] = .int(offset) }
                        if let ref = rows.string(r, 3), !ref.isEmpty { object["message_control_id"] = .string(ref) }
                        object["reasons"] = .array(QuarantineCommand.reasons(rows.string(r, 4)).map { reason in
                            var entry: [String: CanonicalJSON] = ["field": .string(reason.field), "rule": .string(reason.rule)]
                            if let line = reason.line { entry["line"] = .int(line) }
                            return .object(entry)
                        })
                        print(CanonicalJSON.object(object).text)
                    }
                    return
                }
                print("batch \(id.lowercased())  pipeline \(batch.string(0, 0) ?? "-")  file \(file)")
                var table = [["RECORD", "LINE", "BYTE", "MESSAGE ID", "FIELD", "RULE", "AT LINE"]]
                for r in 0..<rows.rowCount {
                    for (k, reason) in QuarantineCommand.reasons(rows.string(r, 4)).enumerated() {
                        let head = k == 0
                            ? [rows.string(r, 0) ?? "", rows.string(r, 1) ?? "", rows.string(r, 2) ?? "", rows.string(r, 3) ?? ""]
                            : ["", "", "", ""]
                        table.append(head + [reason.field, reason.rule, reason.line.map(String.init) ?? ""])
                    }
                }
                print(TextTable.render(table))
                if rows.rowCount == 0 { print("(nothing quarantined)") }
                print("\nFix the records at the source (or the pipeline, if the rule is wrong), then `clinload replay` the batch or load the corrected file.")
            }
        }
    }

    static func reasons(_ json: String?) -> [QuarantineReason] {
        (try? JSONDecoder().decode([QuarantineReason].self, from: Data((json ?? "[]").utf8))) ?? []
    }
}
