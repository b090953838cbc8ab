import ClinloadCore
import ClinloadCrypto
import ClinloadPostgres

/// Applies `Migrations.all` to a database, once, under an advisory lock so two
/// processes starting together do not race.
public struct MigrationRunner {
    public let connection: PostgresConnection
    static let lockKey = 0x636C_6E6C_6D69_6772 // "clnlmigr"

    public init(connection: PostgresConnection) { self.connection = connection }

    public struct Entry: Sendable {
        public var migration: Migration
        public var appliedAt: String?
    }

    /// Every known migration and when it was applied (nil: pending).
    public func status() throws -> [Entry] {
        try ensureLedger()
        let applied = try appliedVersions()
        return Migrations.all.map { Entry(migration: $0, appliedAt: applied[$0.version]?.appliedAt) }
    }

    /// Applies pending migrations in order; returns the ones applied.
    @discardableResult
    public func applyPending() throws -> [Migration] {
        // Read-only when everything is applied: clinload may run as the loader
        // role, which has no right to create schemas or tables.
        if try isUpToDate() { return [] }
        try ensureLedger()
        try connection.query("SELECT pg_advisory_lock($1)", [.int(Self.lockKey)])
        defer { _ = try? connection.query("SELECT pg_advisory_unlock($1)", [.int(Self.lockKey)]) }
        let applied = try appliedVersions()
        var done: [Migration] = []
        for migration in Migrations.all {
            let checksum = SHA256Digest.hash(migration.sql).hexString
            if let existing = applied[migration.version] {
                guard existing.checksum == checksum else {
                    throw ClinloadError(.databaseSetup, stage: .database,
                                        "an applied migration differs from this version of clinload",
                                        attributes: [("migration", "\(migration.version)")])
                }
                continue
            }
            try connection.transaction {
                try connection.execute(migration.sql)
                try connection.query(
                    "INSERT INTO etl.schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                    [.int(migration.version), .text(migration.name), .text(checksum)])
            }
            done.append(migration)
        }
        return done
    }

    private func isUpToDate() throws -> Bool {
        let exists = try connection.query("SELECT to_regclass('etl.schema_migrations') IS NOT NULL").string(0, 0) == "t"
        guard exists else { return false }
        let applied = try appliedVersions()
        return Migrations.all.allSatisfy { migration in
            applied[migration.version]?.checksum == SHA256Digest.hash(migration.sql).hexString
        }
    }

    private func ensureLedger() throws {
        try connection.execute("""
            CREATE SCHEMA IF NOT EXISTS etl;
            CREATE TABLE IF NOT EXISTS etl.schema_migrations (
                version    integer PRIMARY KEY,
                name       text NOT NULL,
                checksum   text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT clock_timestamp()
            );
            """)
    }

    private func appliedVersions() throws -> [Int: (checksum: String, appliedAt: String)] {
        let rows = try connection.query("SELECT version, checksum, applied_at::text FROM etl.schema_migrations")
        var out: [Int: (String, String)] = [:]
        for r in 0..<rows.rowCount {
            out[rows.int(r, 0)!] = (rows.string(r, 1)!, rows.string(r, 2)!)
        }
        return out
    }
}
