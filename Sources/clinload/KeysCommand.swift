import ArgumentParser
import ClinloadCore
import ClinloadEngine
import ClinloadKeys
import Foundation

struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys", abstract: "The stored data keys: which key-encryption key wraps them; rotation.",
        subcommands: [List.self, Rotate.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Count data keys by wrapping key (KEK), purpose and state.")
        @OptionGroup var global: GlobalOptions

        func run() throws {
            try failing {
                let connection = try global.environment.connect()
                defer { connection.close() }
                let rows = try connection.query("""
                    SELECT kek_id, purpose, CASE WHEN shredded_at IS NULL THEN 'live' ELSE 'shredded' END, count(*),
                           coalesce(max(rotated_at)::text, '-')
                    FROM etl.data_keys GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
                    """)
                var table = [["KEK", "PURPOSE", "STATE", "KEYS", "LAST ROTATED"]]
                for r in 0..<rows.rowCount { table.append((0..<5).map { rows.string(r, $0) ?? "" }) }
                print(TextTable.render(table))
            }
        }
    }

    struct Rotate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Re-wrap every data key under another key-encryption key (no data row is rewritten).",
            discussion: """
                The current key (--key-uri / CLINLOAD_KEY_URI) unwraps, the --to key wraps; with AWS KMS on both sides \
                ReEncrypt moves each key inside KMS. Safe to interrupt and run again. Afterwards switch \
                CLINLOAD_KEY_URI to the new key; the old one is no longer needed.
                """)
        @Option(help: "The new key provider URI (local:PATH or aws-kms:ARN-or-alias?region=...).") var to: String
        @OptionGroup var global: GlobalOptions

        func run() throws {
            try failing {
                let connection = try global.environment.connect()
                defer { connection.close() }
                let source = try global.environment.keyProvider(store: connection)
                let target = try RunEnvironment.provider(uri: to, createIfMissing: true)
                let result = try KeyRotation.rotate(connection: connection, from: source, to: target)
                print("rotated \(result.rotated) data keys from \(result.fromKeyId) to \(result.toKeyId)"
                      + (result.alreadyRotated > 0 ? " (\(result.alreadyRotated) were already rotated)" : ""))
                if result.otherKEK > 0 {
                    print("note: \(result.otherKEK) data keys are wrapped by yet another key; rotate them with that key as --key-uri")
                }
                print("now set CLINLOAD_KEY_URI=\(to)")
            }
        }
    }
}
