import ClinloadPostgres
import Testing

/// Statements, queries and COPYs sent without waiting (`send`, `sendQuery`,
/// `sendCopy`), as the chunked loads use them: they run in order, their row
/// counts, rows and errors are never lost, whoever waits for them first, and a
/// failure or a rollback leaves the connection usable.
@Suite("PostgreSQL connection: work sent without waiting")
struct PostgresConnectionTests {
    @Test func rowCountsSurviveACommandRunBeforeTheyAreCollected() throws {
        try TestStore.withConnection { connection in
            try connection.execute("CREATE TEMP TABLE sent_rows (n int)")
            try connection.send("INSERT INTO sent_rows SELECT generate_series(1, 5); INSERT INTO sent_rows SELECT generate_series(1, 3)")
            // This query has to wait for the sent statements; their counts are kept.
            #expect(try connection.query("SELECT count(*) FROM sent_rows").int(0, 0) == 8)
            #expect(try connection.collectSent() == [5, 3])
            #expect(try connection.collectSent() == [])
        }
    }

    @Test func aFailedSentStatementFailsTheNextCommandAndARollbackDiscardsIt() throws {
        try TestStore.withConnection { connection in
            try connection.send("SELECT 1 / 0")
            #expect(throws: PostgresError.self) { try connection.query("SELECT 1") }
            #expect(try connection.query("SELECT 2").int(0, 0) == 2)

            #expect(throws: PostgresError.self) {
                try connection.transaction {
                    try connection.send("SELECT 1 / 0")
                    try connection.collectSent()
                }
            }
            #expect(try connection.collectSent() == [])
            #expect(try connection.query("SELECT 3").int(0, 0) == 3)
        }
    }

    /// Binary COPY data for `copy_rows (id bigint, payload bytea)`: ids `ids`,
    /// each with `width` bytes of payload.
    static func copyData(_ ids: ClosedRange<Int>, width: Int) -> [UInt8] {
        var out = BinaryCopyEncoder.header
        for id in ids {
            BinaryCopyEncoder.beginRow(fieldCount: 2, into: &out)
            BinaryCopyEncoder.appendInt64(Int64(id), into: &out)
            BinaryCopyEncoder.appendBytes([UInt8](repeating: UInt8(truncatingIfNeeded: id), count: width), into: &out)
        }
        return out + BinaryCopyEncoder.trailer
    }

    @Test func copiesQueriesAndStatementsRunInOrderWhilePumped() throws {
        try TestStore.withConnection { connection in
            try connection.execute("CREATE TEMP TABLE copy_rows (id bigint PRIMARY KEY, payload bytea)")
            try connection.execute("CREATE TEMP TABLE copy_sums (n bigint, total bigint)")
            // 24 MB: many slices, far more than a socket holds, so only pumping moves it.
            try connection.sendCopy("COPY copy_rows FROM STDIN (FORMAT binary)", data: Self.copyData(1...24_000, width: 1_000))
            try connection.send("INSERT INTO copy_sums SELECT count(*), sum(id) FROM copy_rows")
            try connection.sendQuery("SELECT n, total FROM copy_sums WHERE n = $1", [.int(24_000)])
            try connection.sendCopy("COPY copy_rows FROM STDIN (FORMAT binary)", data: Self.copyData(24_001...24_005, width: 10))
            for _ in 0..<50 { try connection.pumpSent() }
            let (counts, rows) = try connection.collectSentResults()
            #expect(counts == [24_000, 1, 1, 5])
            #expect(rows.count == 1)
            #expect(rows.first?.int(0, 1) == 24_000 * 24_001 / 2)
            #expect(try connection.query("SELECT count(*), sum(length(payload)) FROM copy_rows").int(0, 1) == 24_000_050)
            #expect(try connection.collectSent() == [])
        }
    }

    @Test func aFailedCopyStopsWhatWasSentAfterItAndLeavesTheConnectionUsable() throws {
        try TestStore.withConnection { connection in
            try connection.execute("CREATE TABLE copy_rows (id bigint PRIMARY KEY, payload bytea)")
            try connection.execute("CREATE TABLE after_failure (n int)")
            let failure = #expect(throws: PostgresError.self) {
                try connection.transaction {
                    try connection.sendCopy("COPY copy_rows FROM STDIN (FORMAT binary)", data: Self.copyData(1...1_000, width: 100))
                    try connection.sendCopy("COPY copy_rows FROM STDIN (FORMAT binary)", data: Self.copyData(900...2_000, width: 100))
                    try connection.send("INSERT INTO after_failure VALUES (1)")
                    try connection.collectSent()
                }
            }
            #expect(failure?.sqlstate == PostgresError.SQLState.uniqueViolation)
            #expect(try connection.query("SELECT count(*) FROM copy_rows").int(0, 0) == 0)
            #expect(try connection.query("SELECT count(*) FROM after_failure").int(0, 0) == 0)
            // Back in blocking mode: a streamed COPY works as before.
            let copied = try connection.copyIn("COPY copy_rows FROM STDIN (FORMAT binary)") { writer in
                writer.buffer += Self.copyData(1...3, width: 5)
            }
            #expect(copied == 3)
        }
    }

    @Test func aRollbackInTheMiddleOfASentCopyLeavesTheConnectionUsable() throws {
        struct Interrupted: Error {}
        try TestStore.withConnection { connection in
            try connection.execute("CREATE TABLE copy_rows (id bigint PRIMARY KEY, payload bytea)")
            #expect(throws: Interrupted.self) {
                try connection.transaction {
                    try connection.sendCopy("COPY copy_rows FROM STDIN (FORMAT binary)", data: Self.copyData(1...20_000, width: 1_000))
                    try connection.pumpSent()
                    throw Interrupted()
                }
            }
            #expect(try connection.query("SELECT count(*) FROM copy_rows").int(0, 0) == 0)
            try connection.send("INSERT INTO copy_rows VALUES (1, NULL)")
            #expect(try connection.collectSent() == [1])
        }
    }

    @Test func aByteaArrayParameterTravelsInBinaryIntact() throws {
        try TestStore.withConnection { connection in
            let keys: [[UInt8]] = [[0x00, 0xFF, 0x5C, 0x22], [], Array(repeating: 0x2C, count: 32), Array("{a,b}".utf8)]
            let rows = try connection.query(
                "SELECT k FROM unnest($1::bytea[]) WITH ORDINALITY AS u(k, n) ORDER BY n", [.byteaArray(keys)])
            #expect((0..<rows.rowCount).map { rows.bytes($0, 0) ?? [9] } == keys)
            #expect(try connection.query("SELECT cardinality($1::bytea[])", [.byteaArray([])]).int(0, 0) == 0)
        }
    }
}
