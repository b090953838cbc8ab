import ClinloadAWS
import ClinloadCore
import ClinloadEmbedded
import ClinloadKeys
import ClinloadPostgres
import ClinloadStore
import Foundation

/// Where a run gets its database and keys from. Without settings, everything is
/// embedded under the state folder (`./.clinload`): a private PostgreSQL cluster
/// and a local master key.
public struct RunEnvironment: Sendable {
    /// The state folder (`--home`, `CLINLOAD_HOME`, default `./.clinload`).
    public var home: URL
    /// An external database (`--database-url`, `CLINLOAD_DATABASE_URL`); nil: embedded.
    public var databaseURL: String?
    /// The key provider URI (`--key-uri`, `CLINLOAD_KEY_URI`); default `local:<home>/master.key`.
    public var keyURI: String
    /// Embedded clusters made for tests skip fsync.
    public var durableEmbedded: Bool

    public init(home: URL, databaseURL: String? = nil, keyURI: String? = nil, durableEmbedded: Bool = true) {
        self.home = home.standardizedFileURL
        self.databaseURL = databaseURL
        self.keyURI = keyURI ?? "local:" + home.standardizedFileURL.appendingPathComponent("master.key").path
        self.durableEmbedded = durableEmbedded
    }

    /// The settings from flags, falling back to the environment, then to defaults.
    public static func resolve(home: String?, databaseURL: String?, keyURI: String?,
                               environment: [String: String] = ProcessInfo.processInfo.environment) -> RunEnvironment {
        let cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        let homePath = home ?? environment["CLINLOAD_HOME"] ?? ".clinload"
        let homeURL = homePath.hasPrefix("/") ? URL(fileURLWithPath: homePath) : cwd.appendingPathComponent(homePath)
        let url = databaseURL ?? environment["CLINLOAD_DATABASE_URL"]
        return RunEnvironment(home: homeURL, databaseURL: (url?.isEmpty ?? true) ? nil : url,
                              keyURI: keyURI ?? environment["CLINLOAD_KEY_URI"])
    }

    public var embedded: EmbeddedPostgres? {
        get throws { databaseURL == nil ? try EmbeddedPostgres(home: home, durable: durableEmbedded) : nil }
    }

    /// A connection to the store, starting the embedded server if needed and
    /// applying pending migrations.
    public func connect(migrate: Bool = true) throws -> PostgresConnection {
        let connection: PostgresConnection
        do {
            if let databaseURL {
                connection = try PostgresConnection(url: databaseURL)
                let allowed = ProcessInfo.processInfo.environment["CLINLOAD_ALLOW_PLAINTEXT"] == "1"
                if try TransportPolicy.check(host: connection.host, tls: connection.usesTLS, allowPlaintext: allowed) {
                    FileHandle.standardError.write(Data("WARNING: the connection to \(connection.host) is NOT encrypted (CLINLOAD_ALLOW_PLAINTEXT=1)\n".utf8))
                }
            } else {
                let server = try EmbeddedPostgres(home: home, durable: durableEmbedded)
                try server.start()
                connection = try PostgresConnection(parameters: server.connectionParameters)
            }
            if migrate { try MigrationRunner(connection: connection).applyPending() }
        } catch let error as PostgresError {
            throw error.clinloadError
        }
        return connection
    }

    /// Where the data is, for people (no credentials).
    public var databaseDisplay: String {
        if let databaseURL { return Self.redacted(databaseURL) }
        return (try? EmbeddedPostgres(home: home).displayURL) ?? home.path
    }

    /// The key provider for `store`. A missing local master key is created only if
    /// the store holds no wrapped keys yet: once data is encrypted, a lost key file
    /// is an error to fix (restore it), never something to replace quietly.
    public func keyProvider(store: PostgresConnection) throws -> KeyProvider {
        let storeHasKeys: Bool
        do {
            storeHasKeys = try store.query("SELECT EXISTS (SELECT 1 FROM etl.data_keys)").string(0, 0) == "t"
        } catch let error as PostgresError {
            throw error.clinloadError
        }
        return try Self.provider(uri: keyURI, createIfMissing: !storeHasKeys)
    }

    /// A key provider by URI, with every provider clinload ships registered
    /// (`local:`, `aws-kms:`). Relative local paths are relative to the current folder.
    public static func provider(uri: String, createIfMissing: Bool) throws -> KeyProvider {
        registerProviders
        return try KeyProviderURI.provider(for: uri, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath),
                                           createIfMissing: createIfMissing)
    }

    /// Providers outside ClinloadKeys plug in by URI scheme (once per process).
    private static let registerProviders: Void = AWSKMSKeyProvider.registerURIScheme()

    /// A URL with any password removed.
    static func redacted(_ url: String) -> String {
        guard var components = URLComponents(string: url) else { return "(database url)" }
        if components.password != nil { components.password = "****" }
        components.queryItems = components.queryItems?.map { $0.name == "password" ? URLQueryItem(name: "password", value: "****") : $0 }
        return components.string ?? "(database url)"
    }
}
