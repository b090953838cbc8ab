import ClinloadCrypto
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// AWS credentials: an access key id, its secret and, for temporary credentials
/// (STS), a session token. The secret is held in a `SecretBytes` (zeroised on
/// release) already prefixed with "AWS4", the form the signing-key derivation
/// uses; `description` never shows the secret or the token.
public struct AWSCredentials: Sendable, CustomStringConvertible {
    public let accessKeyId: String
    public let sessionToken: String?
    /// "AWS4" ‖ secret access key.
    let signingSecret: SecretBytes

    public init(accessKeyId: String, secretAccessKey: String, sessionToken: String? = nil) {
        self.accessKeyId = accessKeyId
        self.sessionToken = sessionToken.flatMap { $0.isEmpty ? nil : $0 }
        var bytes = Array("AWS4".utf8) + Array(secretAccessKey.utf8)
        defer { bytes.secureWipe() }
        signingSecret = bytes.withUnsafeBytes { SecretBytes(copying: $0) }
    }

    /// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and (optional) AWS_SESSION_TOKEN;
    /// nil unless both of the first two are set.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> AWSCredentials? {
        guard let id = environment["AWS_ACCESS_KEY_ID"], !id.isEmpty,
              let secret = environment["AWS_SECRET_ACCESS_KEY"], !secret.isEmpty
        else { return nil }
        return AWSCredentials(accessKeyId: id, secretAccessKey: secret, sessionToken: environment["AWS_SESSION_TOKEN"])
    }

    public var description: String {
        "AWSCredentials(accessKeyId: \(accessKeyId), secret: <redacted>\(sessionToken == nil ? "" : ", sessionToken: <redacted>"))"
    }
}

/// An HTTP request as Signature Version 4 sees it.
public struct SigV4Request: Sendable {
    /// GET, POST...
    public var method: String
    /// The path exactly as it goes on the wire (for KMS always "/"). The canonical
    /// URI encodes it once more, as the specification asks for every service but S3.
    public var path: String
    /// Query parameters, decoded (the signer encodes them).
    public var query: [(name: String, value: String)]
    /// Header fields in order; a name may repeat (the values are then joined with
    /// commas, in order).
    public var headers: [(name: String, value: String)]
    /// Lower-case hex SHA-256 of the body.
    public var payloadHash: String

    public init(method: String, path: String, query: [(name: String, value: String)] = [],
                headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        self.init(method: method, path: path, query: query, headers: headers, payloadHash: SHA256Digest.hash(body).hexString)
    }

    public init(method: String, path: String, query: [(name: String, value: String)] = [],
                headers: [(name: String, value: String)] = [], payloadHash: String) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.payloadHash = payloadHash
    }

    /// The value(s) of header `name` (case-insensitive), joined with commas.
    public func header(_ name: String) -> String? {
        let wanted = name.lowercased()
        let values = headers.filter { $0.name.lowercased() == wanted }.map(\.value)
        return values.isEmpty ? nil : values.joined(separator: ",")
    }
}

/// What signing produced: every intermediate artefact (the test vectors check
/// all three) and the headers to send.
public struct SigV4Signature: Sendable {
    public var canonicalRequest: String
    public var signedHeaders: String
    public var stringToSign: String
    public var signature: String
    /// The value of the Authorization header.
    public var authorization: String
    /// The request's headers plus X-Amz-Date (when it had none), X-Amz-Security-Token
    /// (with temporary credentials) and Authorization.
    public var headers: [(name: String, value: String)]
}

/// AWS Signature Version 4 (AWS4-HMAC-SHA256), header-based, written against the
/// specification ("Create a signed AWS API request"):
///
/// 1. canonical request = method \n canonical URI \n canonical query \n
///    canonical headers \n signed headers \n payload hash
/// 2. string to sign = "AWS4-HMAC-SHA256" \n X-Amz-Date \n scope \n hex(SHA-256(canonical request)),
///    scope = yyyymmdd/region/service/aws4_request
/// 3. signing key = HMAC(HMAC(HMAC(HMAC("AWS4" ‖ secret, yyyymmdd), region), service), "aws4_request")
/// 4. signature = hex(HMAC(signing key, string to sign)); Authorization =
///    "AWS4-HMAC-SHA256 Credential=AKID/scope, SignedHeaders=..., Signature=..."
///
/// HMAC and SHA-256 are the project's OpenSSL wrappers; the derived keys live in
/// `SecretBytes` and the temporary arrays are wiped.
public struct SigV4Signer: Sendable {
    public static let algorithm = "AWS4-HMAC-SHA256"

    public let credentials: AWSCredentials
    public let region: String
    public let service: String
    /// RFC 3986 dot-segment removal and collapsing of repeated slashes: every
    /// service but S3 (whose object keys may contain "//" or "..").
    public var normalizesPath: Bool
    /// Whether X-Amz-Security-Token is part of the signed headers (most services,
    /// KMS included) or appended after signing (a few older services).
    public var signsSessionToken: Bool

    public init(credentials: AWSCredentials, region: String, service: String,
                normalizesPath: Bool = true, signsSessionToken: Bool = true) {
        self.credentials = credentials
        self.region = region
        self.service = service
        self.normalizesPath = normalizesPath
        self.signsSessionToken = signsSessionToken
    }

    // MARK: signing

    /// Signs `request` at `date` (used only when the request carries no
    /// X-Amz-Date header of its own).
    public func sign(_ request: SigV4Request, at date: Date = Date()) throws -> SigV4Signature {
        var request = request
        let amzDate: String
        if let existing = request.header("x-amz-date") {
            amzDate = existing.trimmingCharacters(in: .whitespaces)
        } else {
            amzDate = Self.amzDate(date)
            request.headers.append((name: "X-Amz-Date", value: amzDate))
        }
        var tokenAfterSigning: String?
        if let token = credentials.sessionToken, request.header("x-amz-security-token") == nil {
            if signsSessionToken {
                request.headers.append((name: "X-Amz-Security-Token", value: token))
            } else {
                tokenAfterSigning = token
            }
        }
        let (canonical, signedHeaders) = canonicalRequest(request)
        let toSign = stringToSign(canonicalRequest: canonical, amzDate: amzDate)
        let signature = try self.signature(stringToSign: toSign, dateStamp: String(amzDate.prefix(8)))
        let authorization = "\(Self.algorithm) Credential=\(credentials.accessKeyId)/\(credentialScope(dateStamp: String(amzDate.prefix(8)))), "
            + "SignedHeaders=\(signedHeaders), Signature=\(signature)"
        var headers = request.headers
        if let tokenAfterSigning { headers.append((name: "X-Amz-Security-Token", value: tokenAfterSigning)) }
        headers.append((name: "Authorization", value: authorization))
        return SigV4Signature(canonicalRequest: canonical, signedHeaders: signedHeaders, stringToSign: toSign,
                              signature: signature, authorization: authorization, headers: headers)
    }

    // MARK: the four steps

    /// Step 1: the canonical request and the signed-headers list.
    public func canonicalRequest(_ request: SigV4Request) -> (text: String, signedHeaders: String) {
        // Headers: lower-case names, values trimmed with inner runs of whitespace
        // collapsed to one space, repeated names joined with commas in order,
        // sorted by name.
        var byName: [String: [String]] = [:]
        var order: [String] = []
        for (name, value) in request.headers {
            let key = name.lowercased().trimmingCharacters(in: .whitespaces)
            if byName[key] == nil { order.append(key) }
            byName[key, default: []].append(Self.canonicalHeaderValue(value))
        }
        let names = order.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        let canonicalHeaders = names.map { "\($0):\(byName[$0]!.joined(separator: ","))\n" }.joined()
        let signedHeaders = names.joined(separator: ";")

        let text = [
            request.method.uppercased(),
            canonicalURI(request.path),
            Self.canonicalQuery(request.query),
            canonicalHeaders,
            signedHeaders,
            request.payloadHash,
        ].joined(separator: "\n")
        return (text, signedHeaders)
    }

    /// Step 2.
    public func stringToSign(canonicalRequest: String, amzDate: String) -> String {
        [Self.algorithm, amzDate, credentialScope(dateStamp: String(amzDate.prefix(8))),
         SHA256Digest.hash(canonicalRequest).hexString].joined(separator: "\n")
    }

    public func credentialScope(dateStamp: String) -> String {
        "\(dateStamp)/\(region)/\(service)/aws4_request"
    }

    /// Steps 3 and 4: the signing key for the day, region and service, and the
    /// hex HMAC of the string to sign under it.
    public func signature(stringToSign: String, dateStamp: String) throws -> String {
        var key = credentials.signingSecret
        for part in [dateStamp, region, service, "aws4_request"] {
            var derived = try HMACSHA256(key: key).authenticate(Array(part.utf8))
            defer { derived.secureWipe() }
            key = derived.withUnsafeBytes { SecretBytes(copying: $0) }
        }
        return try HMACSHA256(key: key).authenticate(Array(stringToSign.utf8)).hexString
    }

    // MARK: canonical forms

    /// The path, normalised unless this is S3, with every segment URI-encoded.
    func canonicalURI(_ path: String) -> String {
        var path = path.isEmpty ? "/" : path
        if normalizesPath { path = Self.normalizedPath(path) }
        return Self.uriEncode(path, keepSlash: true)
    }

    /// RFC 3986 §5.2.4 dot-segment removal plus collapsing of empty segments; a
    /// trailing slash is kept when the last segment was a real name.
    static func normalizedPath(_ path: String) -> String {
        var output: [Substring] = []
        let segments = path.split(separator: "/", omittingEmptySubsequences: false)
        for segment in segments {
            switch segment {
            case "", ".": continue
            case "..": if !output.isEmpty { output.removeLast() }
            default: output.append(segment)
            }
        }
        guard !output.isEmpty else { return "/" }
        let last = segments.last ?? ""
        let trailingSlash = path.hasSuffix("/") && last != "." && last != ".."
        return "/" + output.joined(separator: "/") + (trailingSlash ? "/" : "")
    }

    /// Names and values URI-encoded, sorted by name then value (byte order).
    static func canonicalQuery(_ query: [(name: String, value: String)]) -> String {
        query.map { (uriEncode($0.name, keepSlash: false), uriEncode($0.value, keepSlash: false)) }
            .sorted { a, b in
                a.0 == b.0 ? Array(a.1.utf8).lexicographicallyPrecedes(Array(b.1.utf8))
                    : Array(a.0.utf8).lexicographicallyPrecedes(Array(b.0.utf8))
            }
            .map { "\($0.0)=\($0.1)" }
            .joined(separator: "&")
    }

    /// Trimmed, with sequential whitespace (spaces, tabs, folded line breaks)
    /// collapsed to one space.
    static func canonicalHeaderValue(_ value: String) -> String {
        var out = [UInt8]()
        var pendingSpace = false
        for byte in value.utf8 {
            if byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D {
                pendingSpace = !out.isEmpty
            } else {
                if pendingSpace { out.append(0x20) }
                pendingSpace = false
                out.append(byte)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// AWS's URI encoding: every byte but A–Z a–z 0–9 - _ . ~ (and "/" when
    /// `keepSlash`) as %XX with upper-case hex, over the UTF-8 bytes.
    public static func uriEncode(_ text: String, keepSlash: Bool) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out = [UInt8]()
        out.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case 0x41...0x5A, 0x61...0x7A, 0x30...0x39, 0x2D, 0x5F, 0x2E, 0x7E:
                out.append(byte)
            case 0x2F where keepSlash:
                out.append(byte)
            default:
                out.append(0x25)
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0x0F)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// yyyyMMdd'T'HHmmss'Z' in UTC.
    public static func amzDate(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(parts.tm_year + 1900)\(two(parts.tm_mon + 1))\(two(parts.tm_mday))T\(two(parts.tm_hour))\(two(parts.tm_min))\(two(parts.tm_sec))Z"
    }
}
