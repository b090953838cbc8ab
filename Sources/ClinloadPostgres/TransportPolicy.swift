import ClinloadCore

/// PHI must travel encrypted: a connection to another machine without TLS is
/// refused unless explicitly allowed (and then loudly reported). Unix sockets and
/// loopback addresses never leave the machine.
public enum TransportPolicy {
    public static func isLocal(host: String) -> Bool {
        host.isEmpty || host.hasPrefix("/") || host.hasPrefix("@") || host == "localhost"
            || host.hasPrefix("127.") || host == "::1"
    }

    /// Throws unless the connection is local or encrypted (or plaintext is allowed).
    /// Returns true when an allowed plaintext connection leaves the machine.
    @discardableResult
    public static func check(host: String, tls: Bool, allowPlaintext: Bool) throws -> Bool {
        guard !isLocal(host: host), !tls else { return false }
        guard allowPlaintext else {
            throw ClinloadError(.plaintextRefused, stage: .database,
                                "refusing an unencrypted connection to a database on another host; use sslmode=verify-full (or set CLINLOAD_ALLOW_PLAINTEXT=1)",
                                attributes: [("host", host)])
        }
        return true
    }
}
