import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Cheap facts about a value that let the gate skip the regular expressions a cell
/// cannot match (a code, a year, a word, a sentence without numbers). Each
/// condition in `ReleaseGateDetectors.matches` is implied by every alternative of
/// its rule's expression: a skipped expression could not have matched.
struct ReleaseGateValueShape {
    var digits = 0
    var dots = 0
    var colons = 0
    var dashes = 0
    var hasAt = false
    var hasLetter = false
    /// Longest run of consecutive digits.
    var longestDigitRun = 0
    /// Most digits in one cluster: digit runs joined by at most two of ` -./()+`.
    var clusterDigits = 0
    /// Most digit runs in one cluster.
    var clusterGroups = 0
    /// `://`, or a dot between a letter or digit and a letter (`example.org`).
    var looksLikeDomainOrScheme = false
    /// The letters of a month name's first three (`jan`…`dec`, any case).
    var hasMonthPrefix = false

    init(_ value: String) {
        var run = 0, groups = 0, cluster = 0, separators = 0
        var previous: UInt8 = 0, beforePrevious: UInt8 = 0
        var letters: (UInt8, UInt8) = (0, 0)
        func isAlnum(_ b: UInt8) -> Bool { isDigit(b) || isLetter(b) }
        func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
        func isLetter(_ b: UInt8) -> Bool { (b | 0x20) >= 0x61 && (b | 0x20) <= 0x7A }
        for byte in value.utf8 {
            if isDigit(byte) {
                digits += 1
                if run == 0 {
                    if separators > 2 || cluster == 0 { cluster = 0; groups = 0 }
                    groups += 1
                }
                run += 1
                cluster += 1
                separators = 0
                longestDigitRun = max(longestDigitRun, run)
                clusterDigits = max(clusterDigits, cluster)
                clusterGroups = max(clusterGroups, groups)
            } else {
                run = 0
                switch byte {
                case UInt8(ascii: " "), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "/"),
                     UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "+"):
                    separators += 1
                default:
                    separators = 3
                    cluster = 0
                    groups = 0
                }
                switch byte {
                case UInt8(ascii: "."): dots += 1
                case UInt8(ascii: ":"): colons += 1
                case UInt8(ascii: "-"): dashes += 1
                case UInt8(ascii: "@"): hasAt = true
                default: break
                }
                if isLetter(byte) || byte >= 0x80 { hasLetter = true }
                if isLetter(byte) {
                    if previous == UInt8(ascii: "."), isAlnum(beforePrevious) { looksLikeDomainOrScheme = true }
                    let l = byte | 0x20
                    if !hasMonthPrefix, isLetter(previous), isLetter(beforePrevious) {
                        hasMonthPrefix = Self.monthPrefixes.contains([letters.0, letters.1, l])
                    }
                    letters = (letters.1, l)
                } else {
                    letters = (0, 0)
                }
                if byte == UInt8(ascii: "/"), previous == UInt8(ascii: "/"), beforePrevious == UInt8(ascii: ":") {
                    looksLikeDomainOrScheme = true
                }
            }
            beforePrevious = previous
            previous = byte
        }
    }

    static let monthPrefixes: Set<[UInt8]> = Set(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"].map { Array($0.utf8) })
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

    /// One expression per rule: the alternatives joined (one ICU call per cell and rule).
    static func anyOf(_ alternatives: [String]) -> ReleaseGatePattern {
        ReleaseGatePattern(alternatives.map { "(?:\($0))" }.joined(separator: "|"))
    }

    let ssn = anyOf([
        #"\b\d{3}-\d{2}-\d{4}\b"#,
        #"\b\d{3} \d{2} \d{4}\b"#,
        #"(?<![\w.,-])\d{9}(?!\w|[.,]\d)"#,
    ])
    let phone = anyOf([
        #"(?<![\w+-])(?:\+?1[ .-]?)?(?:\(\d{3}\) ?|\d{3}[ .-])\d{3}[ .-]\d{4}(?![\w-])"#,
        #"(?<![\w.,+-])(?:\+?1)?[2-9]\d{9}(?!\w|[.,]\d)"#,
    ])
    let email = anyOf([#"[A-Za-z0-9._%+-]+@(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,}"#])
    let url = anyOf([
        #"(?i)\b(?:https?|ftps?|sftp|file)://\S"#,
        #"(?i)\bwww\.[a-z0-9-]+\.[a-z]"#,
        #"(?i)(?<![\w@.-])(?:[a-z0-9-]+\.)+(?:com|org|net|edu|gov|mil|info|biz|io|health|app|us|uk|ca)(?![\w-])"#,
    ])
    let ipv4 = anyOf([#"(?<![\w.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?!\w|\.\d)"#])
    let ipv6 = ReleaseGatePattern(#"(?<![\w:.])[0-9A-Fa-f:]*:[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*(?:%\w+)?"#, validate: ReleaseGateDetectors.isIPv6)
    let fullDate = anyOf([
        #"(?<!\d)\d{4}-\d{2}-\d{2}(?!\d)"#,
        #"(?<!\d)\d{4}/\d{2}/\d{2}(?!\d)"#,
        #"(?<![\d/.-])(?:0?[1-9]|[12]\d|3[01])(?<sep>[/-])(?:0?[1-9]|[12]\d|3[01])\k<sep>(?:\d{4}|\d{2})(?![\d/]|[-.]\d)"#,
        #"(?<![\d.])(?:0?[1-9]|[12]\d|3[01])\.(?:0?[1-9]|[12]\d|3[01])\."# + year + #"(?![\d.])"#,
        #"(?i)\b"# + monthName + #"\s+\d{1,2}(?:st|nd|rd|th)?,?\s+"# + year + #"\b"#,
        #"(?i)\b\d{1,2}(?:st|nd|rd|th)?(?:\s+of)?[\s-]+"# + monthName + #",?[\s-]+(?:"# + year + #"|\d{2})\b"#,
        #"(?<![\w.,-])(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])(?:\d{4}(?:\d{2})?)?(?!\w|[.,]\d)"#,
    ])
    let monthDate = anyOf([
        #"(?<![\w-])"# + year + #"-(?:0[1-9]|1[0-2])(?![\w-]|[.:/]\d)"#,
        #"(?<![\w/.-])(?:0?[1-9]|1[0-2])/"# + year + #"(?![\w/])"#,
        #"(?i)\b"# + monthName + #",?\s+(?:of\s+)?"# + year + #"\b"#,
        #"(?i)\b(?:q[1-4]|[1-4]q)[\s-]*"# + year + #"\b"#,
    ])
    let zip5 = ReleaseGatePattern(
        #"(?<![\w.,/:$-])\d{5}(?:-\d{4})?(?![\w/:-]|[.,]\d|\s?(?i:units?|iu|mg|mcg|ug|g|kg|ml|l|mmol|meq|cells|copies|cfu|steps|kcal|cal)\b)"#)

    /// Research IDs are random UUIDs: their hex groups can look like a date
    /// (`20240315-…`) or a number by chance, and carry nothing about anyone.
    static let uuid = ReleaseGatePattern(
        #"(?<![0-9A-Fa-f-])[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}(?![0-9A-Fa-f-])"#)

    /// `value` with every UUID replaced by a space (when it may hold one).
    static func maskingUUIDs(_ value: String, _ shape: ReleaseGateValueShape) -> String {
        guard shape.dashes >= 4, value.utf8.count >= 36 else { return value }
        if value.utf8.count == 36, UUID(uuidString: value) != nil { return "" }
        return uuid.regex.stringByReplacingMatches(in: value, options: [], range: NSRange(location: 0, length: (value as NSString).length),
                                             withTemplate: " ")
    }

    func matches(_ rule: ReleaseGate.Rule, _ value: String, _ shape: ReleaseGateValueShape) -> Bool {
        switch rule {
        case .ssn: return shape.clusterDigits >= 9 && ssn.matches(value)
        case .phone: return shape.clusterDigits >= 10 && phone.matches(value)
        case .email: return shape.hasAt && email.matches(value)
        case .url: return shape.looksLikeDomainOrScheme && url.matches(value)
        case .ipAddress:
            return (shape.dots >= 3 && shape.digits >= 4 && ipv4.matches(value)) || (shape.colons >= 2 && ipv6.matches(value))
        case .fullDate:
            let numeric = shape.clusterGroups >= 3 && shape.clusterDigits >= 4
            let named = shape.hasMonthPrefix && shape.digits >= 3
            return (numeric || named || shape.longestDigitRun >= 8) && fullDate.matches(value)
        case .monthDate: return shape.longestDigitRun >= 4 && monthDate.matches(value)
        case .zip5: return shape.longestDigitRun >= 5 && zip5.matches(value)
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
