import ClinloadCore
import ClinloadCrypto
import ClinloadDefinitions
import ClinloadDeid
import ClinloadKeys
import ClinloadPostgres
import ClinloadStore
import Foundation

/// A research extract: the cohort's rows, de-identified under the spec's profile,
/// keyed by per-study research IDs, checked by an independent release gate, and
/// only then moved into the output folder with a manifest — or not at all.
///
/// Order matters: files are written under a hidden temporary folder inside the
/// output folder (same file system, so the final renames are atomic); the gate
/// scans exactly those bytes; any hit removes them, is audited, and fails the run.
public enum ResearchExtract {
    public struct Result: Sendable {
        public var files: [(name: String, rows: Int, sha256: String)]
        public var patients: Int
        public var suppressed: Int
        public var kAnonymity: KAnonymity?
        public var manifestPath: String
    }

    public static func run(
        spec: ExtractSpec, specBytes: [UInt8], outDirectory: String, connection: PostgresConnection, provider: KeyProvider,
        rulesFolder: URL, now: Date = Date()
    ) throws -> Result {
        let rules = try DeidRules(spec: spec, folder: rulesFolder, today: now)
        // Event times are rendered, and cohort dates compared, in UTC whatever the
        // server's default: a year must not depend on where the database runs.
        try connection.execute("SET TIME ZONE 'UTC'")
        let plan = try ExtractPlan(spec: spec, rules: rules)
        try checkColumnsExist(plan, connection)
        let out = URL(fileURLWithPath: outDirectory)
        try prepare(out)

        // The cohort: patients with the asked-for conditions, then by age.
        var cohort = try cohortPatients(spec.cohort, connection)
        let vault = VaultReader(connection: connection, provider: provider)
        // One pass over the vault: what the transforms need, and what the scrubber and
        // the gate look for.
        let quasi = try vault.read(cohort, columns: ["birth_date", "death_date", "zip", "city"] + DeidRules.gateColumns)
        let clinical = try patientColumns(cohort, connection)
        if let minAge = spec.cohort?.minAge {
            cohort = cohort.filter { (rules.age(birthDate: quasi[$0]?["birth_date"]) ?? -1) >= minAge }
        }
        if let maxAge = spec.cohort?.maxAge {
            cohort = cohort.filter { (rules.age(birthDate: quasi[$0]?["birth_date"]) ?? Int.max) <= maxAge }
        }
        func patientValue(_ surrogate: UUID, _ column: String) -> String? {
            rules.patientValue(column, quasi: quasi[surrogate] ?? [:], clinical: clinical[surrogate] ?? [:])
        }

        // k-anonymity over the declared quasi-identifiers, as they will be released.
        var kResult: KAnonymity?
        var suppressed = 0
        if let k = spec.kAnonymity {
            let rows = cohort.map { s in k.quasiIdentifiers.map { patientValue(s, $0) } }
            let result = KAnonymity(rows: rows, threshold: k.kMin)
            kResult = result
            if !result.rowsBelowThreshold.isEmpty {
                if (k.action ?? .fail) == .fail {
                    throw ClinloadError(.releaseBlocked, stage: .validate, "the cohort is not k-anonymous at k_min: nothing was released",
                                        attributes: [("minimum_k", "\(result.minimumK)"), ("k_min", "\(k.kMin ?? 0)"),
                                                     ("patients_below", "\(result.rowsBelowThreshold.count)")])
                }
                let drop = Set(result.rowsBelowThreshold.map { cohort[$0] })
                cohort.removeAll { drop.contains($0) }
                suppressed = drop.count
            }
        }

        let researchIDs = try ResearchCrosswalk(connection: connection).researchIDs(study: spec.study, patients: cohort)
        let staging = out.appendingPathComponent(".clinload-extract-\(UUID().uuidString.lowercased())")
        guard mkdir(staging.path, 0o700) == 0 else {
            throw ClinloadError(.outputUnwritable, stage: .load, "cannot create the extract's temporary folder (is the output folder writable?)",
                                attributes: [("path", out.path), ("errno", "\(errno)")])
        }
        // Whatever happens, the temporary folder goes: after a release it is empty,
        // after a block or an error it holds the files that must not be released.
        defer { try? FileManager.default.removeItem(at: staging) }

        var files: [(name: String, rows: Int, sha256: String)] = []
        var batches = Set<String>()
        for table in plan.tables {
            let writer = try ExtractCSVWriter(path: staging.appendingPathComponent(table.file).path, header: ["research_id"] + table.outputNames)
            if table.source == "patient" {
                for s in cohort {
                    try writer.write([researchIDs[s]?.uuidString.lowercased()] + table.columns.map { patientValue(s, $0.name) })
                }
            } else {
                try writeEvents(table, cohort: cohort, researchIDs: researchIDs, vault: quasi, spec: spec, rules: rules,
                                connection: connection, writer: writer, batches: &batches)
            }
            files.append((table.file, writer.rows, try writer.finish()))
        }

        // The gate: independent of the transforms, over the written bytes.
        let gateColumns = Set(DeidRules.gateColumns)
        let identifiers = cohort.flatMap { (quasi[$0] ?? [:]).filter { gateColumns.contains($0.key) }.map(\.value) }
        let findings = try rules.gate(files: files.map { staging.appendingPathComponent($0.name) }, knownIdentifiers: Set(identifiers))
        let audit = AuditLog(connection: connection)
        if let first = findings.first {
            _ = try connection.transaction {
                try audit.append(event: "extract_blocked", details: [
                    "study": .string(spec.study), "profile": .string(spec.profile.rawValue), "findings": .int(findings.count),
                    "first": .object(["file": .string(first.file), "column": .string(first.column), "row": .int(first.row), "rule": .string(first.rule)]),
                ])
            }
            throw ClinloadError(.releaseBlocked, stage: .validate,
                                "the release gate found an identifier in the output: nothing was released (fix the data or the spec)",
                                location: .init(file: first.file, record: first.row, field: first.column, rule: first.rule),
                                attributes: [("findings", "\(findings.count)")])
        }

        // Everything is written before anything moves: a full disk stops the extract
        // inside the temporary folder. The release is audited before the files move
        // (a crash in between over-reports a release; it never hides one), and moving
        // them needs no space. The manifest moves last: a folder without one is not
        // a release.
        let manifest = ExtractManifest.make(spec: spec, specBytes: specBytes, plan: plan, rules: rules, files: files, batches: batches,
                                            patients: cohort.count, suppressed: suppressed, kAnonymity: kResult, now: now)
        let stagedManifest = try ExtractManifest.stage(manifest, in: staging)
        _ = try connection.transaction {
            try audit.append(event: "extract_released", details: [
                "study": .string(spec.study), "requester": .string(spec.requester), "profile": .string(spec.profile.rawValue),
                "dua_id": spec.duaId.map { .string($0) } ?? .null, "patients": .int(cohort.count), "suppressed": .int(suppressed),
                "rows": .object(Dictionary(uniqueKeysWithValues: files.map { ($0.name, CanonicalJSON.int($0.rows)) })),
                "manifest_sha256": .string(stagedManifest.sha256),
            ])
        }
        var moved: [String] = []
        for name in files.map(\.name) + ["manifest.json"] {
            guard rename(staging.appendingPathComponent(name).path, out.appendingPathComponent(name).path) == 0 else {
                let code = errno
                for done in moved { unlink(out.appendingPathComponent(done).path) }
                _ = try? connection.transaction {
                    try audit.append(event: "extract_withdrawn", details: [
                        "study": .string(spec.study), "manifest_sha256": .string(stagedManifest.sha256), "reason": "move_failed",
                    ])
                }
                throw ClinloadError(.outputUnwritable, stage: .load, "cannot move an extract file into place; nothing was released",
                                    attributes: [("file", name), ("errno", "\(code)")])
            }
            moved.append(name)
        }
        let manifestPath = out.appendingPathComponent("manifest.json").path
        return Result(files: files, patients: cohort.count, suppressed: suppressed, kAnonymity: kResult, manifestPath: manifestPath)
    }

    /// Event columns are released by pattern (codes, amounts...): each must be a
    /// column of its clinical table, or the spec is refused before anything is read.
    static func checkColumnsExist(_ plan: ExtractPlan, _ connection: PostgresConnection) throws {
        for table in plan.tables where table.source != "patient" {
            let name = ExtractCatalog.eventTables[table.source]!.split(separator: ".")
            let rows = try connection.query("""
                SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2
                """, [.text(String(name[0])), .text(String(name[1]))])
            let existing = Set((0..<rows.rowCount).compactMap { rows.string($0, 0) })
            for column in table.columns where !existing.contains(column.name) {
                throw ClinloadError(.pipelineInvalid, stage: .configuration, "the extract asks for a column clinload does not release",
                                    location: .init(field: "\(table.name).\(column.name)", rule: "unknown_column"))
            }
        }
    }

    /// The output folder: created 0700 if missing; refused if it already holds an extract.
    static func prepare(_ out: URL) throws {
        if !FileManager.default.fileExists(atPath: out.path) {
            guard mkdir(out.path, 0o700) == 0 else {
                throw ClinloadError(.outputUnwritable, stage: .load, "cannot create the output folder", attributes: [("path", out.path), ("errno", "\(errno)")])
            }
        }
        guard access(out.path, W_OK) == 0 else {
            throw ClinloadError(.outputUnwritable, stage: .load, "the output folder is not writable", attributes: [("path", out.path)])
        }
        if FileManager.default.fileExists(atPath: out.appendingPathComponent("manifest.json").path) {
            throw ClinloadError(.outputUnwritable, stage: .load, "the output folder already holds an extract: choose an empty one",
                                attributes: [("path", out.path)])
        }
    }

    static func cohortPatients(_ cohort: ExtractSpec.Cohort?, _ connection: PostgresConnection) throws -> [UUID] {
        let codes = cohort?.conditionCodes ?? []
        let rows = try connection.query("""
            SELECT p.surrogate_id::text FROM clinical.patient p
            WHERE cardinality($1::text[]) = 0
               OR EXISTS (SELECT 1 FROM clinical.condition c WHERE c.surrogate_id = p.surrogate_id AND c.code = ANY($1::text[]))
            ORDER BY p.surrogate_id
            """, [.text("{" + codes.map { "\"\($0.replacingOccurrences(of: "\"", with: ""))\"" }.joined(separator: ",") + "}")])
        return (0..<rows.rowCount).compactMap { rows.uuid($0, 0) }
    }

    static func patientColumns(_ cohort: [UUID], _ connection: PostgresConnection) throws -> [UUID: [String: String]] {
        var out: [UUID: [String: String]] = [:]
        let names = ["sex", "race", "ethnicity", "marital_status", "state"]
        for start in stride(from: 0, to: cohort.count, by: 5000) {
            let slice = cohort[start..<min(start + 5000, cohort.count)]
            let rows = try connection.query("""
                SELECT surrogate_id::text, \(names.joined(separator: ", ")) FROM clinical.patient WHERE surrogate_id = ANY($1::uuid[])
                """, [.text("{" + slice.map(\.uuidString).joined(separator: ",") + "}")])
            for r in 0..<rows.rowCount {
                guard let s = rows.uuid(r, 0) else { continue }
                var values: [String: String] = [:]
                for (i, name) in names.enumerated() { values[name] = rows.string(r, i + 1) }
                out[s] = values
            }
        }
        return out
    }

    /// Streams one event table's rows for the cohort through a server-side cursor, a
    /// page at a time: memory holds the cohort and one page, however many events
    /// the cohort has. Rows keep a stable order (patient, batch, record, item), so the
    /// same extract run again writes the same bytes (P4).
    static func writeEvents(
        _ table: ExtractPlan.Table, cohort: [UUID], researchIDs: [UUID: UUID], vault: [UUID: [String: String]], spec: ExtractSpec,
        rules: DeidRules, connection: PostgresConnection, writer: ExtractCSVWriter, batches: inout Set<String>
    ) throws {
        let source = ExtractCatalog.eventTables[table.source]!
        let timeColumn = table.source == "observation" ? "effective_time" : "start_time"
        let scrubs = table.columns.contains { if case .freeText = $0.kind { return true } else { return false } }
        try connection.transaction {
            _ = try connection.execute("CREATE TEMP TABLE extract_cohort (surrogate_id uuid PRIMARY KEY) ON COMMIT DROP")
            for start in stride(from: 0, to: cohort.count, by: 5000) {
                let slice = cohort[start..<min(start + 5000, cohort.count)]
                _ = try connection.query("INSERT INTO extract_cohort SELECT unnest($1::uuid[])",
                                         [.text("{" + slice.map(\.uuidString).joined(separator: ",") + "}")])
            }
            _ = try connection.query("""
                DECLARE extract_rows NO SCROLL CURSOR FOR
                SELECT e.surrogate_id::text, e.batch_id::text\(table.columns.map { ", e.\($0.name)::text" }.joined())
                FROM \(source) e JOIN extract_cohort c ON c.surrogate_id = e.surrogate_id
                WHERE ($1::date IS NULL OR e.\(timeColumn) >= $1::date) AND ($2::date IS NULL OR e.\(timeColumn) < $2::date + 1)
                ORDER BY e.surrogate_id, e.batch_id, e.source_ordinal, e.item
                """, [spec.cohort?.from.map { .text($0) } ?? .null, spec.cohort?.to.map { .text($0) } ?? .null])
            var patient: UUID?
            var known = KnownIdentifiers.none
            while true {
                let rows = try connection.execute("FETCH 5000 FROM extract_rows")
                if rows.rowCount == 0 { break }
                for r in 0..<rows.rowCount {
                    guard let s = rows.uuid(r, 0), let id = researchIDs[s] else { continue }
                    if let batch = rows.string(r, 1) { batches.insert(batch) }
                    if scrubs, s != patient {
                        patient = s
                        known = DeidRules.knownIdentifiers(vault[s] ?? [:])
                    }
                    let values = table.columns.enumerated().map { i, column in
                        rules.eventValue(rows.string(r, i + 2), kind: column.kind, known: known)
                    }
                    try writer.write([id.uuidString.lowercased()] + values)
                }
            }
            _ = try connection.execute("CLOSE extract_rows")
        }
    }
}
