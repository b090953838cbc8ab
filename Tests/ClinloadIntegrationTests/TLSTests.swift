import ClinloadCore
import ClinloadEmbedded
import ClinloadEngine
import ClinloadPostgres
import Foundation
import Testing

@Suite("TLS to PostgreSQL")
struct TLSTests {
    /// A throwaway CA, a server certificate for "localhost" signed by it, and an unrelated CA.
    struct Certificates {
        let folder: URL
        var ca: String { folder.appendingPathComponent("ca.crt").path }
        var otherCA: String { folder.appendingPathComponent("other.crt").path }
        var serverCertificate: String { folder.appendingPathComponent("server.crt").path }
        var serverKey: String { folder.appendingPathComponent("server.key").path }

        init() throws {
            folder = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("clinload-tls-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let ec = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
            try Self.sh("""
                cd '\(folder.path)' && \
                openssl req -x509 \(ec) -keyout ca.key -out ca.crt -days 2 -subj '/CN=clinload test CA' && \
                openssl req -x509 \(ec) -keyout other.key -out other.crt -days 2 -subj '/CN=unrelated CA' && \
                openssl req \(ec) -keyout server.key -out server.csr -subj '/CN=localhost' && \
                printf 'subjectAltName=DNS:localhost\\n' > san.ext && \
                openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt -days 2 -extfile san.ext
                """)
        }

        static func sh(_ script: String) throws {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", script + " >/dev/null 2>&1"]
            try process.run()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else { throw CocoaError(.executableLoad) }
        }
    }

    private func parameters(port: Int, host: String = "localhost", rootCert: String) -> [(String, String)] {
        [("host", host), ("port", "\(port)"), ("dbname", "postgres"), ("user", "postgres"),
         ("sslmode", "verify-full"), ("sslrootcert", rootCert)]
    }

    @Test func verifyFullConnectsWithTheRightCAAndRefusesAWrongCAOrHostName() throws {
        let certificates = try Certificates()
        defer { try? FileManager.default.removeItem(at: certificates.folder) }
        let port = Int.random(in: 20_000...40_000)
        let home = URL(fileURLWithPath: "/tmp/clinload-tls-\(UUID().uuidString.prefix(8))")
        let server = try EmbeddedPostgres(home: home, durable: false, network: .init(
            port: port, certificateFile: certificates.serverCertificate, keyFile: certificates.serverKey))
        try server.start()
        defer {
            try? server.stop()
            try? FileManager.default.removeItem(at: home)
        }

        let connection = try PostgresConnection(parameters: parameters(port: port, rootCert: certificates.ca))
        #expect(connection.usesTLS)
        let ssl = try connection.query("SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        #expect(ssl.string(0, 0) == "t")
        #expect(["TLSv1.2", "TLSv1.3"].contains(ssl.string(0, 1) ?? ""))
        connection.close()

        // A CA that did not sign the server's certificate: refused.
        #expect(throws: PostgresError.self) { _ = try PostgresConnection(parameters: parameters(port: port, rootCert: certificates.otherCA)) }
        // The right CA but another host name than the certificate's: refused.
        #expect(throws: PostgresError.self) {
            _ = try PostgresConnection(parameters: parameters(port: port, host: "127.0.0.1", rootCert: certificates.ca))
        }

        // clinload itself over verify-full: migrations and a batch.
        let url = "postgresql://postgres@localhost:\(port)/clinload?sslmode=verify-full&sslrootcert=\(certificates.ca)"
        let store = try TestStore()
        defer { store.cleanUp() }
        let environment = RunEnvironment(home: store.folder, databaseURL: url, keyURI: store.keyURI)
        let tls = try environment.connect()
        #expect(tls.usesTLS)
        tls.close()
        let result = try CLI.run(["run", "synthea_patients", try store.generated(rows: 5), "--pipelines", Repository.pipelines.path,
                                  "--database-url", url, "--key-uri", store.keyURI], in: store.folder)
        #expect(result.status == 0, "\(result.stderr)")
    }

    @Test func plaintextToAnotherHostIsRefusedUnlessAllowed() throws {
        #expect(throws: ClinloadError.self) { try TransportPolicy.check(host: "db.example.org", tls: false, allowPlaintext: false) }
        #expect(try TransportPolicy.check(host: "10.1.2.3", tls: false, allowPlaintext: true))
        #expect(try !TransportPolicy.check(host: "db.example.org", tls: true, allowPlaintext: false))
        for local in ["/tmp/sock", "localhost", "127.0.0.1", "::1", ""] {
            #expect(try !TransportPolicy.check(host: local, tls: false, allowPlaintext: false))
        }
    }
}
