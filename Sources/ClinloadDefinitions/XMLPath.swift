/// The small path language XML pipelines use to name values in a record
/// (README, "XML paths"). Parsed once when a pipeline loads; evaluated by
/// ClinloadXML against each record.
///
///     PID/PID.3[CX.5='MR']/CX.1          child steps, a predicate on a child's value
///     PID/PID.5[1]/XPN.1/FN.1 | PID/PID.5[1]/XPN.1    alternatives: first non-empty
///     **/OBX                              any depth
///     ../../OBR/OBR.3/EI.1                parent steps (from a row's element)
///     recordTarget/patientRole/id[@root!='2.16.840.1.113883.4.1']/@extension
///
/// Deliberately not XPath: no functions, no axes beyond child, descendant and parent, no
/// arithmetic — what feeds need, simple to review, cheap to evaluate per record.
public struct XMLPath: Sendable, Equatable, CustomStringConvertible {
    public var alternatives: [Location]
    public let description: String

    /// A name as written: `FN.1` or `sdtc:raceCode` (prefix resolved at compile time).
    public struct Name: Sendable, Equatable, Hashable {
        public var prefix: String?
        public var local: String
    }

    public enum Predicate: Sendable, Equatable {
        /// `[n]`: the n-th (1-based) of the step's matches.
        case position(Int)
        /// `[path='v']`: some match of `path` has value `v`.
        case equals(Location, String)
        /// `[path!='v']`: no match of `path` has value `v`.
        case notEquals(Location, String)
        /// `[path]`: `path` matches something.
        case exists(Location)
    }

    public struct Step: Sendable, Equatable {
        /// `..`: the parent element (a row reaching its group's header, OBX → OBR).
        public var isParent: Bool = false
        /// `nil` matches any element (`*`).
        public var name: Name?
        /// Preceded by `**`: matches at any depth below the context, not only children.
        public var anyDepth: Bool
        public var predicates: [Predicate]
    }

    /// One alternative: element steps, then optionally an attribute.
    public struct Location: Sendable, Equatable {
        public var steps: [Step]
        public var attribute: Name?
    }

    public struct SyntaxError: Error, Sendable, Equatable {
        public var rule: String
    }

    /// Predicates nest (`a[b[c='x']]`) and parsing recurses once per level: a
    /// path nested thousands deep overflowed the stack. Pipelines need one or two.
    public static let maxNesting = 16

    public init(_ text: String) throws(SyntaxError) {
        description = text
        guard Self.nesting(of: Substring(text)) <= Self.maxNesting else { throw SyntaxError(rule: "too_deeply_nested") }
        var parts: [Location] = []
        for alternative in try Self.split(Substring(text), on: "|") {
            parts.append(try Self.location(alternative.trimmingSpaces))
        }
        if parts.isEmpty { throw SyntaxError(rule: "empty_path") }
        alternatives = parts
    }

    static func location(_ text: Substring) throws(SyntaxError) -> Location {
        guard !text.isEmpty else { throw SyntaxError(rule: "empty_path") }
        var steps: [Step] = []
        var attribute: Name?
        var anyDepth = false
        let rawSteps = try split(text, on: "/")
        for (i, raw) in rawSteps.enumerated() {
            let token = raw.trimmingSpaces
            if token == "**" {
                if anyDepth || i == rawSteps.count - 1 { throw SyntaxError(rule: "misplaced_any_depth") }
                anyDepth = true
                continue
            }
            if token == ".." {
                if anyDepth { throw SyntaxError(rule: "misplaced_any_depth") }
                steps.append(Step(isParent: true, name: nil, anyDepth: false, predicates: []))
                continue
            }
            if token.hasPrefix("@") {
                guard i == rawSteps.count - 1, !anyDepth else { throw SyntaxError(rule: "attribute_not_last") }
                attribute = try name(token.dropFirst())
                continue
            }
            let (head, predicates) = try predicatesOf(token)
            steps.append(Step(name: head == "*" ? nil : try name(head), anyDepth: anyDepth, predicates: predicates))
            anyDepth = false
        }
        return Location(steps: steps, attribute: attribute)
    }

    static func name(_ text: Substring) throws(SyntaxError) -> Name {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count <= 2, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(isNameCharacter) }) else {
            throw SyntaxError(rule: "bad_name")
        }
        return parts.count == 2 ? Name(prefix: String(parts[0]), local: String(parts[1])) : Name(prefix: nil, local: String(parts[0]))
    }

    static func isNameCharacter(_ c: Character) -> Bool {
        c.isLetter || c.isNumber || c == "." || c == "_" || c == "-"
    }

    /// Splits `name[p1][p2]` into the name and its predicates.
    static func predicatesOf(_ token: Substring) throws(SyntaxError) -> (Substring, [Predicate]) {
        guard let open = token.firstIndex(of: "[") else { return (token, []) }
        var predicates: [Predicate] = []
        var rest = token[open...]
        while !rest.isEmpty {
            guard rest.first == "[", let close = closingBracket(rest) else { throw SyntaxError(rule: "unbalanced_brackets") }
            let next = try predicate(rest[rest.index(after: rest.startIndex)..<close].trimmingSpaces)
            // `[n]` counts what the predicates before it let through; those after
            // it test the n-th. One per step keeps that simple to read.
            if case .position = next, predicates.contains(where: { if case .position = $0 { true } else { false } }) {
                throw SyntaxError(rule: "two_positions")
            }
            predicates.append(next)
            rest = rest[rest.index(after: close)...]
        }
        return (token[..<open], predicates)
    }

    static func predicate(_ text: Substring) throws(SyntaxError) -> Predicate {
        if let n = Int(text) {
            guard n >= 1 else { throw SyntaxError(rule: "position_not_positive") }
            return .position(n)
        }
        guard let quote = text.firstIndex(where: { $0 == "'" || $0 == "\"" }) else {
            return .exists(try location(text))
        }
        let value = text[text.index(after: quote)...]
        guard value.last == text[quote], value.count >= 1 else { throw SyntaxError(rule: "unterminated_value") }
        let literal = String(value.dropLast())
        var lhs = text[..<quote].trimmingSpaces
        guard lhs.last == "=" else { throw SyntaxError(rule: "expected_comparison") }
        lhs = lhs.dropLast()
        if lhs.last == "!" {
            return .notEquals(try location(lhs.dropLast().trimmingSpaces), literal)
        }
        return .equals(try location(lhs.trimmingSpaces), literal)
    }

    static func closingBracket(_ text: Substring) -> Substring.Index? {
        var depth = 0
        var quote: Character?
        for i in text.indices {
            let c = text[i]
            if let q = quote { if c == q { quote = nil }; continue }
            switch c {
            case "'", "\"": quote = c
            case "[": depth += 1
            case "]":
                depth -= 1
                if depth == 0 { return i }
            default: break
            }
        }
        return nil
    }

    /// The deepest bracket nesting outside quotes (as `split` counts it).
    static func nesting(of text: Substring) -> Int {
        var depth = 0
        var deepest = 0
        var quote: Character?
        for c in text {
            if let q = quote { if c == q { quote = nil }; continue }
            switch c {
            case "'", "\"": quote = c
            case "[": depth += 1; deepest = max(deepest, depth)
            case "]": depth -= 1
            default: break
            }
        }
        return deepest
    }

    /// Splits on a separator outside brackets and quotes.
    static func split(_ text: Substring, on separator: Character) throws(SyntaxError) -> [Substring] {
        var parts: [Substring] = []
        var depth = 0
        var quote: Character?
        var start = text.startIndex
        for i in text.indices {
            let c = text[i]
            if let q = quote { if c == q { quote = nil }; continue }
            switch c {
            case "'", "\"": quote = c
            case "[": depth += 1
            case "]": depth -= 1
            case separator where depth == 0:
                parts.append(text[start..<i])
                start = text.index(after: i)
            default: break
            }
        }
        guard depth == 0, quote == nil else { throw SyntaxError(rule: "unbalanced_brackets") }
        parts.append(text[start...])
        return parts
    }
}

extension Substring {
    var trimmingSpaces: Substring {
        var s = self
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return s
    }
}
