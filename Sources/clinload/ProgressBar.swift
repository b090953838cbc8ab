import Foundation

/// A one-line progress bar on stderr, only when stderr is a terminal (cron and
/// log files get the JSON log lines alone).
enum ProgressBar {
    static func forTerminal() -> ((Int, Int, Int) -> Void)? {
        guard isatty(STDERR_FILENO) == 1 else { return nil }
        return { bytesRead, totalBytes, records in
            let fraction = totalBytes > 0 ? min(1, Double(bytesRead) / Double(totalBytes)) : 1
            let width = 30
            let filled = Int(fraction * Double(width))
            let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
            let line = String(format: "\r[%@] %3d%%  %d records", bar, Int(fraction * 100), records)
            FileHandle.standardError.write(Data(line.utf8))
        }
    }

    static func clear(_ bar: ((Int, Int, Int) -> Void)?) {
        guard bar != nil else { return }
        FileHandle.standardError.write(Data(("\r" + String(repeating: " ", count: 60) + "\r").utf8))
    }
}
