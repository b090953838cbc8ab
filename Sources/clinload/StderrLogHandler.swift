import ClinloadCore
import Foundation
import Logging

/// Writes log records to stderr, one JSON object per line (for cron and log
/// shippers) or as plain text. Log calls in clinload pass only ids, codes, counts
/// and hashes as metadata — never record values.
struct StderrLogHandler: LogHandler {
    let label: String
    let format: LogFormat
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        let timestamp = Date().formatted(.iso8601)
        let line: String
        switch format {
        case .json:
            var members: [String: CanonicalJSON] = [
                "ts": .string(timestamp), "level": .string(event.level.rawValue), "msg": .string("\(event.message)"),
                "logger": .string(label),
            ]
            for (key, value) in merged { members[key] = .string("\(value)") }
            line = CanonicalJSON.object(members).text
        case .text:
            let meta = merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            line = "\(timestamp) \(event.level.rawValue.uppercased()) \(event.message)\(meta.isEmpty ? "" : " " + meta)"
        }
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}
