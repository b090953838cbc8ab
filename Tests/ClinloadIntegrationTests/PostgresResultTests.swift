import ClinloadPostgres
import Foundation
import Testing

@Suite("PostgreSQL results read in place")
struct PostgresResultTests {
    /// `uuid` reads the server's text form without Foundation's parser: every
    /// UUID it returns must be the one Foundation reads, in either case, and
    /// anything else (NULL, another length, a stray character) reads as nil.
    @Test func uuidsReadAsFoundationReadsThem() throws {
        try TestStore.withConnection { connection in
            let rows = try connection.query("""
                SELECT u::text, upper(u::text) FROM (SELECT gen_random_uuid() AS u FROM generate_series(1, 200)
                UNION ALL SELECT '00000000-0000-0000-0000-000000000000' UNION ALL SELECT 'ffffffff-ffff-ffff-ffff-ffffffffffff') s
                """)
            #expect(rows.rowCount == 202)
            for r in 0..<rows.rowCount {
                let expected = UUID(uuidString: rows.string(r, 0)!)
                #expect(expected != nil && rows.uuid(r, 0) == expected && rows.uuid(r, 1) == expected)
            }
            let odd = try connection.query("""
                SELECT NULL::text, '0123456789abcdef', 'g0000000-0000-0000-0000-000000000000', '00000000+0000-0000-0000-000000000000',
                       '00000000-0000-0000-0000-00000000000', '00000000-0000-0000-0000-0000000000000'
                """)
            for c in 0..<odd.columnCount { #expect(odd.uuid(0, c) == nil, "column \(c)") }
        }
    }

    /// `UUIDIndexOrder` sorts uuids as the server's uuid order does, bytes over
    /// 0x7f included (a signed comparison would differ there).
    @Test func uuidIndexOrderIsTheServersUUIDOrder() throws {
        try TestStore.withConnection { connection in
            let rows = try connection.query("""
                SELECT u::text FROM (SELECT gen_random_uuid() AS u FROM generate_series(1, 500)
                UNION ALL SELECT '00000000-0000-0000-0000-000000000000' UNION ALL SELECT 'ffffffff-ffff-ffff-ffff-ffffffffffff'
                UNION ALL SELECT '7fffffff-ffff-ffff-ffff-ffffffffffff' UNION ALL SELECT '80000000-0000-0000-0000-000000000000'
                UNION ALL SELECT '00000000-0000-0000-7fff-ffffffffffff' UNION ALL SELECT '00000000-0000-0000-8000-000000000000') s
                ORDER BY u
                """)
            let serverOrder = (0..<rows.rowCount).map { rows.uuid($0, 0)! }
            #expect(serverOrder.count == 506)
            #expect(serverOrder.shuffled().sorted { UUIDIndexOrder($0) < UUIDIndexOrder($1) } == serverOrder)
        }
    }
}
