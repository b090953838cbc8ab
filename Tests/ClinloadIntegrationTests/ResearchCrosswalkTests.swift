import ClinloadCore
import ClinloadCrypto
import ClinloadPostgres
import ClinloadStore
import Foundation
import Testing

@Suite("Research-ID crosswalk")
struct ResearchCrosswalkTests {
    @Test func stableWithinAStudyUnrelatedAcrossStudiesNeverDerived() throws {
        let store = try TestStore()
        defer { store.cleanUp() }
        #expect(try store.run(Repository.syntheaPatients.path).status == .loaded)
        let connection = try store.connect()
        defer { connection.close() }
        let rows = try connection.query("SELECT surrogate_id::text FROM clinical.patient")
        let patients = (0..<rows.rowCount).compactMap { rows.string($0, 0).flatMap(UUID.init(uuidString:)) }
        #expect(patients.count == 27)
        let crosswalk = ResearchCrosswalk(connection: connection)
        let first = try crosswalk.researchIDs(study: "STUDY-A", patients: patients)
        let again = try crosswalk.researchIDs(study: "STUDY-A", patients: patients)
        let other = try crosswalk.researchIDs(study: "STUDY-B", patients: patients)
        #expect(first.count == 27 && first == again)                         // I18: one patient, one ID per study
        #expect(Set(first.values).isDisjoint(with: other.values))           // I19: studies do not share IDs
        #expect(Set(first.values).isDisjoint(with: patients))               // not the surrogate key
        // I20: not an HMAC of the MRN-like source id under any key we hold (the blind-index key).
        let key = try KeyRing(connection: connection, provider: store.keyProvider()).blindIndexKey()
        let index = try BlindIndex(key: key.plaintext)
        let ids = FixtureCSV.rows(try String(contentsOfFile: Repository.syntheaPatients.path, encoding: .utf8)).dropFirst().map { $0[0] }
        let derived = Set(try ids.map { Array(try index.compute(namespace: "synthea", parts: [$0]).prefix(16)).hexString })
        let research = Set(first.values.map { $0.uuidString.lowercased().replacingOccurrences(of: "-", with: "") })
        #expect(derived.isDisjoint(with: research))
        // Analysts cannot read the crosswalk.
        try connection.execute("CREATE ROLE crosswalk_probe LOGIN IN ROLE clinload_analyst")
        defer { _ = try? connection.execute("DROP ROLE crosswalk_probe") }
        try connection.execute("SET ROLE crosswalk_probe")
        #expect(throws: (any Error).self) { try connection.query("SELECT count(*) FROM research.crosswalk") }
        try connection.execute("RESET ROLE")
    }
}
