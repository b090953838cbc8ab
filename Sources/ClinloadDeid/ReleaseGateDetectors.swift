import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Cheap facts about a value that let the gate skip the regular expressions most
/// cells cannot match (a code, a year, a word).
struct ReleaseGateValueShape {
    var digits = 0
    var dots = 0
    var colons = 0
    var dashes = 0
    var hasAt = false
    var hasSlash = false
    var hasLetter = false

    init(_ value: String) {
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digits += 1
            case UInt8(ascii: "."): dots += 1
            case UInt8(ascii: ":"): colons += 1
            case UInt8(ascii: "-"): dashes += 1
            case UInt8(ascii: "@"): hasAt = true
            case UInt8(ascii: "/"): hasSlash = true
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"): hasLetter = true
            default: if byte >= 0x80 { hasLetter = true }
            }
        }
    }
}

/// A compiled ICU expression, immutable and thread-safe.
final class ReleaseGatePattern: @unchecked Sendable {
    let regex: NSRegularExpression
    let validate: (@Sendable (String) -> Bool)?

    init(_ pattern: String, caseInsensitive: Bool = false, validate: (@Sendable (String) -> Bool)? = nil) {
        do {
            regex = try NSRegularExpression(pattern: pattern, options: caseInsensitive ? [.caseInsensitive] : [])
        } catch {
            preconditionFailure("ReleaseGate: invalid built-in pattern \(pattern)")
        }
        self.validate = validate
    }

    func matches(_ value: String) -> Bool {
        let ns = value as NSString
        let range = NSRange(location: 0, length: ns.length)
        guard let validate else { return regex.firstMatch(in: value, options: [], range: range) != nil }
        return regex.matches(in: value, options: [], range: range).contains { validate(ns.substring(with: $0.range)) }
    }
}

/// The gate's patterns, one group per rule. Written for the gate alone (not shared
/// with the scrubber) so that one mistake cannot hide a value from both.
struct ReleaseGateDetectors: Sendable {
    static let shared = ReleaseGateDetectors()

    static let monthName = #"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"#
    static let year = #"(?:1[89]|20)\d{2}"#

    let ssn = [
        ReleaseGatePattern(#"\b\d{3}-\d{2}-\d{4}\b"#),
        ReleaseGatePattern(#"\b\d{3} \d{2} \d{4}\b"#),
        ReleaseGatePattern(#"(?<![\w.,-])\d{9}(?!\w|[.,]\d)"#),
    ]
    let phone = [
        ReleaseGatePattern(#"(?<![\w+-])(?:\+?1[ .-]?)?(?:\(\d{3}\) ?|\d{3}[ .-])\d{3}[ .-]\d{4}(?![\w-])"#),
        ReleaseGatePattern(#"(?<![\w.,+-])(?:\+?1)?[2-9]\d{9}(?!\w|[.,]\d)"#),
    ]
    let email = [ReleaseGatePattern(#"[A-Za-z0-9._%+-]+@(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,}"#)]
    let url = [
        ReleaseGatePattern(#"\b(?:https?|ftps?|sftp|file)://\S"#, caseInsensitive: true),
        ReleaseGatePattern(#"\bwww\.[a-z0-9-]+\.[a-z]"#, caseInsensitive: true),
        ReleaseGatePattern(#"(?<![\w@.-])(?:[a-z0-9-]+\.)+(?:com|org|net|edu|gov|mil|info|biz|io|health|app|us|uk|ca)(?![\w-])"#, caseInsensitive: true),
    ]
    let ipv4 = ReleaseGatePattern(#"(?<![\w.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?!\w|\.\d)"#)
    let ipv6 = ReleaseGatePattern(#"(?<![\w:.])[0-9A-Fa-f:]*:[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*(?:%\w+)?"#, validate: ReleaseGateDetectors.isIPv6)
    let fullDate = [
        ReleaseGatePattern(#"(?<!\d)\d{4}-\d{2}-\d{2}(?!\d)"#),
        ReleaseGatePattern(#"(?<!\d)\d{4}/\d{2}/\d{2}(?!\d)"#),
        ReleaseGatePattern(#"(?<![\d/.-])(?:0?[1-9]|[12]\d|3[01])([/-])(?:0?[1-9]|[12]\d|3[01])\1(?:\d{4}|\d{2})(?![\d/]|[-.]\d)"#),
        ReleaseGatePattern(#"(?<![\d.])(?:0?[1-9]|[12]\d|3[01])\.(?:0?[1-9]|[12]\d|3[01])\."# + year + #"(?![\d.])"#),
        ReleaseGatePattern(#"\b"# + monthName + #"\s+\d{1,2}(?:st|nd|rd|th)?,?\s+"# + year + #"\b"#, caseInsensitive: true),
        ReleaseGatePattern(#"\b\d{1,2}(?:st|nd|rd|th)?(?:\s+of)?[\s-]+"# + monthName + #",?[\s-]+(?:"# + year + #"|\d{2})\b"#, caseInsensitive: true),
        ReleaseGatePattern(#"(?<![\w.,-])(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])(?:\d{4}(?:\d{2})?)?(?!\w|[.,]\d)"#),
    ]
    let monthDate = [
        ReleaseGatePattern(#"(?<![\w-])"# + year + #"-(?:0[1-9]|1[0-2])(?![\w-]|[.:/]\d)"#),
        ReleaseGatePattern(#"(?<![\w/.-])(?:0?[1-9]|1[0-2])/"# + year + #"(?![\w/])"#),
        ReleaseGatePattern(#"\b"# + monthName + #",?\s+(?:of\s+)?"# + year + #"\b"#, caseInsensitive: true),
        ReleaseGatePattern(#"\b(?:q[1-4]|[1-4]q)[\s-]*"# + year + #"\b"#, caseInsensitive: true),
    ]
    let zip5 = ReleaseGatePattern(
        #"(?<![\w.,/:$-])\d{5}(?:-\d{4})?(?![\w/:-]|[.,]\d|\s?(?i:units?|iu|mg|mcg|ug|g|kg|ml|l|mmol|meq|cells|copies|cfu|steps|kcal|cal)\b)"#)

    /// Research IDs are random UUIDs: their hex groups can look like a date
    /// (`20240315-…`) or a number by chance, and carry nothing about anyone.
    static let uuid = ReleaseGatePattern(
        #"(?<![0-9A-Fa-f-])[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}(?![0-9A-Fa-f-])"#)

    /// `value` with every UUID replaced by a space (when it may hold one).
    static func maskingUUIDs(_ value: String, _ shape: ReleaseGateValueShape) -> String {
        guard shape.dashes >= 4, value.utf8.count >= 36 else { return value }
        return uuid.regex.stringByReplacingMatches(in: value, options: [], range: NSRange(location: 0, length: (value as NSString).length),
                                             withTemplate: " ")
    }

    func matches(_ rule: ReleaseGate.Rule, _ value: String, _ shape: ReleaseGateValueShape) -> Bool {
        switch rule {
        case .ssn: return shape.digits >= 9 && ssn.contains { $0.matches(value) }
        case .phone: return shape.digits >= 10 && phone.contains { $0.matches(value) }
        case .email: return shape.hasAt && email.contains { $0.matches(value) }
        case .url: return shape.dots >= 1 && url.contains { $0.matches(value) }
        case .ipAddress:
            return (shape.dots >= 3 && shape.digits >= 4 && ipv4.matches(value)) || (shape.colons >= 2 && ipv6.matches(value))
        case .fullDate: return shape.digits >= 4 && fullDate.contains { $0.matches(value) }
        case .monthDate: return shape.digits >= 4 && monthDate.contains { $0.matches(value) }
        case .zip5: return shape.digits >= 5 && zip5.matches(value)
        case .ageOver89, .knownIdentifier: return false   // not pattern rules
        }
    }

    /// Whether an age value holds a number of at least `limit` (90 years, or the
    /// same in months, weeks, days) — the aggregate "90+" excepted.
    static func hasAge(_ value: String, atLeast limit: Double) -> Bool {
        let scalars = Array(value.unicodeScalars)
        var i = 0
        while i < scalars.count {
            guard scalars[i].properties.numericType != nil, ("0"..."9").contains(scalars[i]) else { i += 1; continue }
            var j = i
            var text = ""
            while j < scalars.count, ("0"..."9").contains(scalars[j]) || (scalars[j] == "." && j + 1 < scalars.count && ("0"..."9").contains(scalars[j + 1])) {
                text.unicodeScalars.append(scalars[j])
                j += 1
            }
            let aggregate = j < scalars.count && scalars[j] == "+" && text == "90" && limit == 90
            if !aggregate, let number = Double(text), number >= limit { return true }
            i = j
        }
        return false
    }

    @Sendable static func isIPv6(_ candidate: String) -> Bool {
        var address = candidate.split(separator: "%", maxSplits: 1).first.map(String.init) ?? candidate
        while address.hasSuffix(".") { address.removeLast() }
        guard address.filter({ $0 == ":" }).count >= 2 else { return false }
        var buffer = in6_addr()
        return inet_pton(AF_INET6, address, &buffer) == 1
    }
}
