import ClinloadCore
import Foundation

/// Chooses a key provider from a URI:
///
/// - `local:PATH` (or `local://PATH`): a master key file, created on first use.
/// - `aws-kms:KEY?region=R&endpoint=URL`: an AWS KMS key — a key ARN, an alias
///   (`alias/clinload`), an alias ARN or a key id. `region` defaults to the ARN's
///   region, then AWS_REGION / AWS_DEFAULT_REGION; `endpoint` defaults to
///   `https://kms.REGION.amazonaws.com`. An `http://` endpoint is accepted only
///   for a loopback host (a local emulator); anything else must be `https://`.
///   The provider itself lives in ClinloadAWS (which depends on this module), so
///   it plugs in through `register(scheme:factory:)`:
///   `AWSKMSKeyProvider.registerURIScheme()` once at start-up.
///
/// Further schemes (`pkcs11:`) plug in the same way.
public enum KeyProviderURI {
    /// Makes a provider from a full URI (scheme included).
    public typealias Factory = @Sendable (_ uri: String, _ base: URL, _ createIfMissing: Bool) throws -> KeyProvider

    /// `createIfMissing`: whether a missing local master key may be created (only
    /// for a store that holds no wrapped keys yet — otherwise a lost key file must
    /// be restored, not silently replaced).
    public static func provider(for uri: String, relativeTo base: URL, createIfMissing: Bool = true) throws -> KeyProvider {
        if uri.hasPrefix("local:") {
            var path = String(uri.dropFirst("local:".count))
            if path.hasPrefix("//") { path = String(path.dropFirst(2)) }
            guard !path.isEmpty else {
                throw ClinloadError(.keyUriInvalid, stage: .configuration, "a local key URI needs a path (local:PATH)")
            }
            let url = path.hasPrefix("/") ? URL(fileURLWithPath: path) : base.appendingPathComponent(path)
            return try LocalKeyProvider(path: url.standardizedFileURL.path, createIfMissing: createIfMissing)
        }
        if uri.hasPrefix(AWSKMSKeyReference.scheme + ":") {
            // Validate first, so a bad URI is a configuration error (78) whether or
            // not the provider is linked in.
            _ = try AWSKMSKeyReference(uri: uri)
            guard let factory = registry.factory(for: AWSKMSKeyReference.scheme) else {
                throw ClinloadError(.keyUriInvalid, stage: .configuration,
                                    "the aws-kms key provider is not registered in this program (AWSKMSKeyProvider.registerURIScheme())")
            }
            return try factory(uri, base, createIfMissing)
        }
        if let colon = uri.firstIndex(of: ":"), let factory = registry.factory(for: String(uri[..<colon])) {
            return try factory(uri, base, createIfMissing)
        }
        throw ClinloadError(.keyUriInvalid, stage: .configuration, "unknown key provider scheme (supported: local:PATH, aws-kms:KEY)")
    }

    /// Plugs in a provider for `scheme` (the part before the first colon). The
    /// last registration for a scheme wins; `local` cannot be replaced.
    public static func register(scheme: String, factory: @escaping Factory) {
        registry.set(factory, for: scheme)
    }

    /// Whether `host` is a loopback address or name (the only hosts a plain-HTTP
    /// key service endpoint — an emulator — may use).
    public static func isLoopbackHost(_ host: String) -> Bool {
        var h = host.lowercased()
        if h.hasPrefix("["), h.hasSuffix("]") { h = String(h.dropFirst().dropLast()) }
        if h == "localhost" || h.hasSuffix(".localhost") || h == "::1" || h == "0:0:0:0:0:0:0:1" { return true }
        let octets = h.split(separator: ".", omittingEmptySubsequences: false)
        if octets.count == 4, octets.allSatisfy({ UInt8($0) != nil }), octets[0] == "127" { return true }
        return false
    }

    private static let registry = Registry()

    private final class Registry: @unchecked Sendable {
        private let lock = NSLock()
        private var factories: [String: Factory] = [:]

        func set(_ factory: @escaping Factory, for scheme: String) {
            guard scheme != "local" else { return }
            lock.lock()
            defer { lock.unlock() }
            factories[scheme] = factory
        }

        func factory(for scheme: String) -> Factory? {
            lock.lock()
            defer { lock.unlock() }
            return factories[scheme]
        }
    }
}

/// A parsed `aws-kms:` key URI. Nothing in it is secret: credentials come from
/// the environment, never from the URI.
public struct AWSKMSKeyReference: Sendable, Equatable {
    public static let scheme = "aws-kms"

    /// The key as written: a key ARN, an alias ARN, `alias/NAME` or a key id.
    public var keyId: String
    /// The region from the URI (`region=`) or the ARN; nil to take it from the
    /// environment.
    public var region: String?
    /// An explicit endpoint (an emulator, a VPC endpoint); nil for the public one.
    public var endpoint: URL?

    public init(keyId: String, region: String? = nil, endpoint: URL? = nil) {
        self.keyId = keyId
        self.region = region
        self.endpoint = endpoint
    }

    /// Parses `aws-kms:KEY?region=R&endpoint=URL` (`aws-kms://KEY` also accepted).
    /// Throws `.keyUriInvalid` (exit 78) for anything malformed, including an
    /// `http://` endpoint on a host that is not loopback.
    public init(uri: String) throws {
        guard uri.hasPrefix(Self.scheme + ":") else {
            throw ClinloadError(.keyUriInvalid, stage: .configuration, "not an aws-kms key URI")
        }
        var rest = Substring(uri.dropFirst(Self.scheme.count + 1))
        if rest.hasPrefix("//") { rest = rest.dropFirst(2) }
        var query: Substring = ""
        if let mark = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: mark)...]
            rest = rest[..<mark]
        }
        let keyId = String(rest)
        guard Self.isValidKeyId(keyId) else {
            throw ClinloadError(.keyUriInvalid, stage: .configuration,
                                "an aws-kms key URI needs a key ARN, an alias (alias/NAME), an alias ARN or a key id (aws-kms:KEY?region=R)")
        }
        var region: String?
        var endpoint: URL?
        for item in query.split(separator: "&") where !item.isEmpty {
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(parts[0])
            let value = parts.count > 1 ? (String(parts[1]).removingPercentEncoding ?? "") : ""
            switch name {
            case "region":
                guard region == nil, Self.isValidRegion(value) else {
                    throw ClinloadError(.keyUriInvalid, stage: .configuration, "the aws-kms region is malformed or given twice",
                                        attributes: [("parameter", "region")])
                }
                region = value
            case "endpoint":
                guard endpoint == nil else {
                    throw ClinloadError(.keyUriInvalid, stage: .configuration, "the aws-kms endpoint is given twice",
                                        attributes: [("parameter", "endpoint")])
                }
                endpoint = try Self.validatedEndpoint(value)
            default:
                throw ClinloadError(.keyUriInvalid, stage: .configuration, "unknown aws-kms key URI parameter (supported: region, endpoint)",
                                    attributes: [("parameter", String(name.prefix(40)))])
            }
        }
        if let arnRegion = Self.arnRegion(keyId) {
            if let region, region != arnRegion {
                throw ClinloadError(.keyUriInvalid, stage: .configuration, "the aws-kms region differs from the key ARN's region",
                                    attributes: [("region", region), ("arn_region", arnRegion)])
            }
            region = arnRegion
        }
        self.init(keyId: keyId, region: region, endpoint: endpoint)
    }

    /// Whether `keyId` is a full key ARN (`arn:PARTITION:kms:REGION:ACCOUNT:key/ID`),
    /// which needs no DescribeKey call to resolve.
    public static func isKeyARN(_ keyId: String) -> Bool {
        let parts = keyId.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        return parts.count == 6 && parts[0] == "arn" && parts[2] == "kms" && parts[5].hasPrefix("key/") && parts[5].count > 4
    }

    /// The region inside a key or alias ARN.
    public static func arnRegion(_ keyId: String) -> String? {
        let parts = keyId.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0] == "arn", parts[2] == "kms", !parts[3].isEmpty else { return nil }
        return String(parts[3])
    }

    public static func isValidKeyId(_ keyId: String) -> Bool {
        guard !keyId.isEmpty, keyId.utf8.count <= 2048 else { return false }
        // No whitespace, control characters or URI delimiters in any form.
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:/_-.".utf8)
        guard keyId.utf8.allSatisfy({ allowed.contains($0) }) else { return false }
        if keyId.hasPrefix("arn:") {
            let parts = keyId.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
            guard parts.count == 6, parts[1].hasPrefix("aws"), parts[2] == "kms", isValidRegion(String(parts[3])),
                  !parts[4].isEmpty, parts[4].allSatisfy(\.isNumber)
            else { return false }
            return (parts[5].hasPrefix("key/") && parts[5].count > 4) || (parts[5].hasPrefix("alias/") && parts[5].count > 6)
        }
        if keyId.hasPrefix("alias/") { return keyId.count > 6 }
        // A bare key id: a UUID or a multi-Region key id (mrk-...).
        return !keyId.contains("/") && !keyId.contains(":")
    }

    static func isValidRegion(_ region: String) -> Bool {
        !region.isEmpty && region.utf8.count <= 32 && region.utf8.allSatisfy { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x2D }
    }

    /// An endpoint: `https://HOST[:PORT][/]`, or `http://` on a loopback host only;
    /// no user, password, query or fragment.
    public static func validatedEndpoint(_ text: String) throws -> URL {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
              let host = components.host, !host.isEmpty,
              components.user == nil, components.password == nil, components.query == nil, components.fragment == nil,
              components.path.isEmpty || components.path == "/",
              let url = components.url
        else {
            throw ClinloadError(.keyUriInvalid, stage: .configuration, "the aws-kms endpoint must be a URL like https://HOST[:PORT]",
                                attributes: [("parameter", "endpoint")])
        }
        switch scheme {
        case "https":
            return url
        case "http" where KeyProviderURI.isLoopbackHost(host):
            return url
        case "http":
            throw ClinloadError(.keyUriInvalid, stage: .configuration,
                                "an http:// key service endpoint is allowed only on a loopback host (an emulator); use https://",
                                attributes: [("host", host)])
        default:
            throw ClinloadError(.keyUriInvalid, stage: .configuration, "the aws-kms endpoint must use https://",
                                attributes: [("scheme", String(scheme.prefix(16)))])
        }
    }
}
