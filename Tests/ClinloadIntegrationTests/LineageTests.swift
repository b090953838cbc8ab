import ClinloadCore
import Foundation
import Testing

@Suite("OpenLineage export")
struct LineageTests {
    /// Runs scripts/validate-openlineage on a file of events; returns (status, output).
    private func validate(_ events: URL) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        let spec = Repository.corpus.appendingPathComponent("OpenLineage__OpenLineage/spec").path
        let script = Repository.root.appendingPathComponent("scripts/validate-openlineage").path
        process.arguments = ["-c", "python3 '\(script)' '\(spec)' < '\(events.path)' 2>&1"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, output)
    }

    @Test func runEventsValidateAgainstTheOpenLineageSchemasAndCarryNoValues() throws {
        let store = try TestStore()
        defer { store.cleanUp() }
        let goodFile = try store.generated(rows: 30, seed: 61)
        let badFile = try store.generated(rows: 10, seed: 62, invalidEvery: 2, name: "bad.csv")
        let good = try store.run(goodFile)
        let bad = try store.run(badFile)
        let common = ["--pipelines", Repository.pipelines.path, "--database-url", store.url, "--key-uri", store.keyURI]

        var lines: [String] = []
        for batch in [good, bad] {
            let result = try CLI.run(["lineage", batch.batchId!.uuidString] + common, in: store.folder)
            #expect(result.status == 0, "\(result.stderr)")
            lines += result.stdout.split(separator: "\n").map(String.init)
        }
        #expect(lines.count == 4)
        let events = lines.map { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(events.map { $0?["eventType"] as? String } == ["START", "COMPLETE", "START", "FAIL"])
        #expect(((events[0]?["run"] as? [String: Any])?["runId"] as? String) == good.batchId!.uuidString.lowercased())
        let text = lines.joined(separator: "\n")
        #expect(text.contains("\"masking\":true"))
        #expect(text.contains("\"rowCount\":30"))
        #expect(text.contains("reject_ratio_exceeded at stage validate"))

        let file = store.folder.appendingPathComponent("events.jsonl")
        try (text + "\n").write(to: file, atomically: true, encoding: .utf8)
        let (status, output) = try validate(file)
        #expect(status == 0, "\(output)")
        #expect(output.contains("4 events, 0 errors"))

        // The validator is not a rubber stamp: a malformed event fails it.
        let broken = store.folder.appendingPathComponent("broken.jsonl")
        try text.replacingOccurrences(of: "\"rowCount\":30", with: "\"rowCount\":\"thirty\"")
            .write(to: broken, atomically: true, encoding: .utf8)
        #expect(try validate(broken).0 == 1)

        // Canaries: no identifier of either file appears in the lineage.
        for path in [goodFile, badFile] {
            let canaries = try FixtureCSV.values(of: ["Id", "SSN", "FIRST", "LAST", "ADDRESS"], inFile: path, longerThan: 3)
            #expect(canaries.count > 40)
            #expect(canaries.filter { text.contains($0) }.isEmpty)
        }
    }
}
