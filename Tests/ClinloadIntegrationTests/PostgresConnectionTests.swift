import ClinloadPostgres
import Testing

/// Statements sent without waiting (`send`), as the chunked loads use them: their
/// row counts and errors are never lost, whoever waits for them first.
@Suite("PostgreSQL connection: statements sent without waiting")
struct PostgresConnectionTests {
    /// A connection to a fresh store, for `body`.
    func withConnection(_ body: (PostgresConnection) throws -> Void) throws {
        let store = try TestStore()
        defer { store.cleanUp() }
        let connection = try store.connect()
        defer { connection.close() }
        try body(connection)
    }

    @Test func rowCountsSurviveACommandRunBeforeTheyAreCollected() throws {
        try withConnection { connection in
            try connection.execute("CREATE TEMP TABLE sent_rows (n int)")
            try connection.send("INSERT INTO sent_rows SELECT generate_series(1, 5); INSERT INTO sent_rows SELECT generate_series(1, 3)")
            // This query has to wait for the sent statements; their counts are kept.
            #expect(try connection.query("SELECT count(*) FROM sent_rows").int(0, 0) == 8)
            #expect(try connection.collectSent() == [5, 3])
            #expect(try connection.collectSent() == [])
        }
    }

    @Test func aFailedSentStatementFailsTheNextCommandAndARollbackDiscardsIt() throws {
        try withConnection { connection in
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
}
