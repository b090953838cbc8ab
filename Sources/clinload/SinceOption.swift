import ArgumentParser

/// `--since DATE`, shared by the listing commands. Only date characters are
/// accepted; PostgreSQL parses the value as a timestamptz parameter.
struct SinceOption: ParsableArguments {
    @Option(help: "Only entries at or after this date or timestamp (e.g. 2026-11-30).") var since: String?

    func validate() throws {
        if let since, !since.allSatisfy({ $0.isNumber || "-:T .Z+".contains($0) }) {
            throw ValidationError("--since takes a date such as 2026-11-30")
        }
    }
}
