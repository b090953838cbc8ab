import ClinloadCore
import ClinloadPostgres
import Foundation

/// Research IDs for extracts (45 CFR 164.514(c)): a random UUID per (study,
/// patient) from PostgreSQL's CSPRNG (`gen_random_uuid`), never derived from an
/// identifier or from the surrogate key, kept in `research.crosswalk` so the same
/// study's next extract gives the same IDs, while another study's IDs are unrelated.
public struct ResearchCrosswalk {
    public let connection: PostgresConnection

    public init(connection: PostgresConnection) { self.connection = connection }

    /// The research IDs of these patients in this study, creating the missing ones.
    public func researchIDs(study: String, patients: [UUID]) throws -> [UUID: UUID] {
        guard !study.isEmpty else {
            throw ClinloadError(.usage, stage: .configuration, "a research extract needs a study id", location: .init(field: "study", rule: "required"))
        }
        guard !patients.isEmpty else { return [:] }
        let array = "{" + patients.map { $0.uuidString }.joined(separator: ",") + "}"
        try connection.query("""
            INSERT INTO research.crosswalk (study_id, surrogate_id, research_id)
            SELECT $1, s, gen_random_uuid() FROM unnest($2::uuid[]) AS s
            ON CONFLICT (study_id, surrogate_id) DO NOTHING
            """, [.text(study), .text(array)])
        let rows = try connection.query("""
            SELECT surrogate_id::text, research_id::text FROM research.crosswalk WHERE study_id = $1 AND surrogate_id = ANY($2::uuid[])
            """, [.text(study), .text(array)])
        var out: [UUID: UUID] = [:]
        for r in 0..<rows.rowCount {
            if let s = rows.uuid(r, 0), let id = rows.uuid(r, 1) { out[s] = id }
        }
        return out
    }
}
