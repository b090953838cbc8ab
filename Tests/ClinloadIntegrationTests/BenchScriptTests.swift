import Foundation
import Testing

@Suite("Benchmark script")
struct BenchScriptTests {
    /// Runs scripts/bench on a tiny file with the debug binary, so the script
    /// cannot rot. No timing is asserted: CI machines are noisy.
    @Test func benchRunsEndToEndOnATinyFile() throws {
        let folder = "/tmp/clinload-bench-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [Repository.root.appendingPathComponent("scripts/bench").path, "300", "1", "50K"]
        var environment = ProcessInfo.processInfo.environment
        environment["CLINLOAD_BIN"] = CLI.binary.path
        environment["BENCH_DIR"] = folder
        process.environment = environment
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(output)")
        #expect(output.contains("patients CSV, 300 rows, 1 repeats"))
        #expect(output.contains("ratio clinload/raw") && output.contains("clinload/floor") && output.contains("bare/raw"))
        #expect(output.contains("CPU during clinload run: its process"))
        #expect(output.contains("peak RSS"))
        #expect(output.contains("ratio python/clinload"))
        #expect(output.contains("HL7 v2 XML (ADT)"))
        #expect(output.contains("throughput clinload/xmllint"))
        // 300 rows: 30 patients in the vault, their encounters loaded against it.
        #expect(output.contains("encounters of 30 patients already in the vault, 1 repeats"))
    }
}
