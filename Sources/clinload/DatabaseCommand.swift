import ArgumentParser
import ClinloadCore
import ClinloadEmbedded
import ClinloadEngine
import ClinloadPostgres
import ClinloadStore
import Foundation

struct DatabaseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db", abstract: "Manage the embedded PostgreSQL server and the schema migrations.",
        subcommands: [Start.self, Stop.self, Status.self, Migrate.self])

    struct Start: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create (once) and start the embedded server, then apply migrations.")
        @OptionGroup var global: GlobalOptions

        func run() throws {
            try failing {
                let connection = try global.environment.connect()
                connection.close()
                print("database ready: \(global.environment.databaseDisplay)")
            }
        }
    }

    struct Stop: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop the embedded server.")
        @OptionGroup var global: GlobalOptions

        func run() throws {
            try failing {
                guard let server = try global.environment.embedded else {
                    print("an external database is configured; nothing to stop")
                    return
                }
                try server.stop()
                print("stopped")
            }
        }
    }

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show whether the embedded server runs, and where.")
        @OptionGroup var global: GlobalOptions

        func run() throws {
            try failing {
                guard let server = try global.environment.embedded else {
                    print("external database: \(global.environment.databaseDisplay)")
                    return
                }
                switch try server.status() {
                case .notInitialised: print("not initialised (clinload db start creates it under \(server.root.path))")
                case .stopped: print("stopped — data in \(server.dataDirectory.path)")
                case .running(let pid):
                    print("running (pid \(pid)) — data in \(server.dataDirectory.path)")
                    print("connect: psql '\(server.displayURL)'")
                }
            }
        }
    }

    struct Migrate: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the schema migrations and apply pending ones.")
        @Flag(help: "Only show; apply nothing.") var status = false
        @OptionGroup var global: GlobalOptions

        func run() throws {
            try failing {
                let connection = try global.environment.connect(migrate: false)
                defer { connection.close() }
                let runner = MigrationRunner(connection: connection)
                let applied = status ? [] : try runner.applyPending()
                for entry in try runner.status() {
                    let state = entry.appliedAt.map { "applied \($0)" } ?? "pending"
                    let now = applied.contains { $0.version == entry.migration.version } ? " (now)" : ""
                    print(String(format: "%4d  %@  %@%@", entry.migration.version, entry.migration.name, state, now))
                }
            }
        }
    }
}

/// Runs a command body, turning a ClinloadError into its message and exit status.
func failing(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as ClinloadError {
        throw CommandFailure(error)
    } catch let error as PostgresError {
        throw CommandFailure(error.clinloadError)
    }
}
