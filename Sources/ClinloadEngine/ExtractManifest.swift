import ClinloadCore
import ClinloadCrypto
import ClinloadDefinitions
import ClinloadDeid
import ClinloadExtract
import ClinloadPostgres
import ClinloadStore
import Foundation

/// manifest.json of a research extract: what was released, to whom, under which
/// rules (with the digests of the rule tables), each column's transform, row
/// counts and each file's SHA-256 — what a privacy officer checks, and what
/// `clinload extract verify` re-checks against the files.
public enum ExtractManifest {
    static func make(
        spec: ExtractSpec, specBytes: [UInt8], plan: ExtractPlan, rules: DeidRules, files: [(name: String, rows: Int, sha256: String)],
        batches: Set<String>, patients: Int, suppressed: Int, kAnonymity: KAnonymity?, now: Date
    ) -> CanonicalJSON {
        var tables: [CanonicalJSON] = []
        for (table, file) in zip(plan.tables, files) {
            tables.append(.object([
                "name": .string(table.name), "file": .string(file.name), "from": .string(table.source),
                "rows": .int(file.rows), "sha256": .string(file.sha256),
                "columns": .array([.object(["name": "research_id", "transform": "random per (study, patient), crosswalk"])]
                    + table.columns.map { .object(["name": .string($0.outputName), "source": .string($0.name), "transform": .string($0.transform)]) }),
                "omitted": .array(table.omitted.map { .object(["column": .string($0.column), "reason": .string($0.reason)]) }),
            ]))
        }
        var object: [String: CanonicalJSON] = [
            "manifest_version": 1,
            "study": .string(spec.study), "requester": .string(spec.requester), "profile": .string(spec.profile.rawValue),
            "dua_id": spec.duaId.map { .string($0) } ?? .null,
            "spec_sha256": .string(SHA256Digest.hash(specBytes).hexString),
            "reference_date": .string(rules.referenceDate),
            "rules": rules.manifestEntry,
            "tables": .array(tables),
            "patients": .int(patients), "suppressed_patients": .int(suppressed),
            "batches": .array(batches.sorted().map { .string($0) }),
            "tool_version": .string(ToolVersion.current),
            "created_at": .string(ISO8601DateFormatter().string(from: now)),
            "release_gate": .object(["findings": 0]),
        ]
        if let k = kAnonymity, let declared = spec.kAnonymity {
            object["k_anonymity"] = .object([
                "quasi_identifiers": .array(declared.quasiIdentifiers.map { .string($0) }),
                "minimum_k": .int(k.minimumK), "unique_combinations": .int(k.uniqueCombinations), "groups": .int(k.groups),
                "k_min": declared.kMin.map { .int($0) } ?? .null, "action": .string((declared.action ?? .fail).rawValue),
            ])
        }
        return .object(object)
    }

    /// Writes manifest.json, 0600, into the temporary folder (synced; the caller
    /// moves it into place last) and returns its SHA-256, which the audit entry records.
    static func stage(_ manifest: CanonicalJSON, in staging: URL) throws -> (path: String, sha256: String) {
        let path = staging.appendingPathComponent("manifest.json").path
        let bytes = Array((manifest.text + "\n").utf8)
        let writer = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard writer >= 0 else {
            throw ClinloadError(.outputUnwritable, stage: .load, "cannot write the manifest", attributes: [("path", path), ("errno", "\(errno)")])
        }
        let handle = FileHandle(fileDescriptor: writer, closeOnDealloc: true)
        do {
            try handle.write(contentsOf: Data(bytes))
            try handle.synchronize()
            try handle.close()
        } catch {
            throw ClinloadError(.outputUnwritable, stage: .load, "cannot write the manifest (is the disk full?); nothing was released",
                                attributes: [("path", path), ("errno", ExtractCSVWriter.errnoText(error))])
        }
        return (path, SHA256Digest.hash(bytes).hexString)
    }

    /// Re-checks an extract folder against its manifest: every file present with
    /// its SHA-256 and row count, and no CSV the manifest does not list. Returns
    /// the problems (empty: the extract is as released).
    public static func verify(directory: String) throws -> [String] {
        let folder = URL(fileURLWithPath: directory)
        guard let data = FileManager.default.contents(atPath: folder.appendingPathComponent("manifest.json").path),
              let manifest = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let tables = manifest["tables"] as? [[String: Any]]
        else {
            throw ClinloadError(.usage, stage: .cli, "no readable manifest.json in this folder", attributes: [("path", directory)])
        }
        var problems: [String] = []
        var listed = Set<String>()
        for table in tables {
            guard let name = table["file"] as? String, let sha = table["sha256"] as? String, let rows = table["rows"] as? Int else {
                problems.append("manifest: a table entry is incomplete")
                continue
            }
            listed.insert(name)
            let path = folder.appendingPathComponent(name).path
            guard let hashed = try? SHA256Digest.hashFile(atPath: path) else { problems.append("\(name): missing"); continue }
            if hashed.digest.hexString != sha { problems.append("\(name): sha256 differs from the manifest") }
            let counted = try recordCount(path)
            if counted != rows { problems.append("\(name): \(counted) rows, the manifest says \(rows)") }
        }
        let present = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(".csv") }
        for extra in Set(present).subtracting(listed).sorted() { problems.append("\(extra): not in the manifest") }
        return problems
    }

    /// The manifest's anchor in the audit trail: the `extract_released` entry that
    /// recorded this manifest's SHA-256, checked with the whole hash chain. An edited
    /// manifest (with file digests to match edited files) has no such entry; an
    /// edited entry breaks the chain. This is what makes the manifest's own digest
    /// trustworthy (P3) without a separate signing key.
    public static func verifyAgainstAudit(directory: String, connection: PostgresConnection) throws -> (seq: Int?, problems: [String]) {
        let manifest = URL(fileURLWithPath: directory).appendingPathComponent("manifest.json").path
        let digest = try SHA256Digest.hashFile(atPath: manifest).digest.hexString
        var problems: [String] = []
        if case .broken(let seq, let reason) = try AuditVerifier(connection: connection).verify() {
            problems.append("audit trail: broken at entry \(seq) (\(reason.rawValue))")
        }
        let rows = try connection.query("""
            SELECT seq FROM etl.audit_log
            WHERE event = 'extract_released' AND payload::jsonb #>> '{details,manifest_sha256}' = $1 ORDER BY seq
            """, [.text(digest)])
        let seq = rows.rowCount > 0 ? rows.int(0, 0) : nil
        if seq == nil {
            problems.append("manifest.json: no extract_released audit entry records this manifest's sha256 (edited after release, or released from another store)")
        }
        return (seq, problems)
    }

    static func recordCount(_ path: String) throws -> Int {
        let reader = try CSVReader(path: path, header: true)
        var record = CSVRecord()
        var count = 0
        while try reader.read(into: &record) { count += 1 }
        return max(0, count - 1)   // the header line is a record to the reader
    }
}
