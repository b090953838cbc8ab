import Foundation

/// Removes identifiers from free text (clinical notes, comments, OBX text) for a
/// research extract whose spec enables scrubbing (DEID_CASES 10.4, issue #6 item 4).
///
/// Two sources, one pass:
/// * the patient's own identifiers from the vault (`KnownIdentifiers`: names,
///   record numbers, street address, city, phone), matched as whole words, case-
///   and accent-insensitively, the longest known sequence first;
/// * patterns: SSN (dashed, spaced, nine digits; the last four after "SSN"), US
///   phone numbers, e-mail, URLs (with a scheme, `www.`, or a bare domain under a
///   common TLD), IPv4 / IPv6 (checked with `inet_pton`), dates, five-digit ZIP and
///   ZIP+4, ages over 89, room and bed numbers, numbers after an identifier word
///   (MRN, member ID, VIN, plate, MBI, serial, accession...), other identifier-like
///   codes (six letters-and-digits or more with four digits or more, seven digits or
///   more), street addresses and PO boxes, and names after a title (Mr, Mrs, Ms...)
///   or a relation (daughter, husband, neighbor...), just before a known name, the
///   rest of a hyphenated known name, and a middle initial after a name (I17).
///
/// Replacements: `[NAME]`, `[DATE]`, `[ADDRESS]`, `[CITY]`, `[ZIP]`, `[PHONE]`,
/// `[EMAIL]`, `[URL]`, `[IP]`, `[SSN]`, `[ID]`; an age over 89 becomes `90+`
/// (`"93 yo"` → `"90+ yo"`, T2). Adjacent name parts become one `[NAME]`.
///
/// Decisions (interpretations of DEID_CASES):
/// * A date with a day (3/4/2024, 2024-03-04, 2024-03-15T14:22, March 4, 2024,
///   4 Mar 2024, 04-Mar-24, 20240304; "March 4"; "on 3/5") → `[DATE]` (D13).
/// * A date element other than the year next to a year — month ("March 2024",
///   "03/2024", "2024-03"), quarter ("Q1 2024", "first quarter of 2024"), holiday
///   or season ("Christmas 2024", "spring 2024") — is removed and the year kept:
///   "Q1 2024" → "2024" (D14). A year alone is kept ("quit 2019").
/// * A birth year that makes the patient 90 or older at `referenceYear` ("born in
///   1931") → `[DATE]` (C: years indicative of an age over 89).
/// * Room, bed and bay numbers → `[ID]` ("room 302" → "room [ID]", T6).
/// * Vitals and results survive: "BP 120/80", "K 4.1", "SpO2 97%", "5000 units".
///   Eponyms survive unless they are the patient's own name: "Alzheimer's disease",
///   "Parkinson" (T5); "Dr." is not a name title, so "Dr. Alzheimer's disease" stays
///   (clinicians' names are not identifiers of the patient).
/// * A five-digit number is a ZIP (removed) unless a unit follows ("10000 units"),
///   it is part of a decimal or a larger number, or follows `$` — the release gate
///   applies the same definition, so scrubbed text passes it.
/// * Known identifiers are matched case-insensitively: a patient named Parkinson
///   loses "Parkinson disease" too (recall over precision).
///
/// Not found: names of other people with no title, relation word or known surname
/// next to them ("Marcus (son) drove her in"), ages written in other ways than
/// listed, identifiers split across lines. Scrubbing lowers the risk of free text;
/// it does not make it Safe Harbor by itself: the release gate runs after it.
public struct FreeTextScrubber: Sendable {
    /// Recorded in the manifest with the column's transform.
    public static let version = "free-text-scrubber/1"

    /// The year ages are reckoned at (the extract's reference date), for birth years.
    public let referenceYear: Int

    public init(referenceYear: Int) {
        self.referenceYear = referenceYear
    }

    /// What a replacement stands for.
    public enum Category: String, Sendable, CaseIterable, Codable {
        case name, date, address, city, zip, phone, email, url, ip, ssn, id, age

        /// The text put in place of the identifier (`age`: the number becomes `90+`).
        public var placeholder: String {
            switch self {
            case .age: return "90+"
            default: return "[\(rawValue.uppercased())]"
            }
        }
    }

    /// One replacement: `range` of the original text, what it was, and what replaced it
    /// (the placeholder; `""` for the month or quarter dropped before a kept year).
    public struct Redaction: Sendable, Hashable {
        public var range: Range<String.Index>
        public var category: Category
        public var replacement: String
    }

    /// The text with every identifier found replaced.
    public func scrub(_ text: String, known: KnownIdentifiers = .none) -> String {
        let spans = self.spans(in: text, known: known)
        guard !spans.isEmpty else { return text }
        let units = Array(text.utf16)
        var out: [UInt16] = []
        out.reserveCapacity(units.count)
        var cursor = 0
        for span in spans {
            out += units[cursor..<span.start]
            out += Array(span.replacement.utf16)
            cursor = span.end
        }
        out += units[cursor...]
        return String(decoding: out, as: UTF16.self)
    }

    /// The replacements `scrub` makes, in text order (for measuring and testing).
    public func redactions(in text: String, known: KnownIdentifiers = .none) -> [Redaction] {
        spans(in: text, known: known).map { span in
            let lower = String.Index(utf16Offset: span.start, in: text)
            let upper = String.Index(utf16Offset: span.end, in: text)
            return Redaction(range: lower..<upper, category: span.category, replacement: span.replacement)
        }
    }

    // MARK: - Finding the spans

    struct Span {
        var start: Int
        var end: Int
        var category: Category
        var replacement: String
    }

    /// Non-overlapping spans, in text order: detectors run from the most to the least
    /// specific, and a later one never takes text an earlier one has claimed.
    func spans(in text: String, known: KnownIdentifiers) -> [Span] {
        guard !text.isEmpty else { return [] }
        let ns = text as NSString
        var claimed = FreeTextScrubberClaims()
        let tokens = FreeTextScrubberTokenizer.tokens(text)

        for rule in FreeTextScrubberRules.leading {
            rule.apply(to: ns, referenceYear: referenceYear, claims: &claimed)
        }
        if !known.isEmpty {
            matchKnown(FreeTextScrubberLexicon(known), tokens: tokens, claims: &claimed)
        }
        for rule in FreeTextScrubberRules.trailing {
            rule.apply(to: ns, referenceYear: referenceYear, claims: &claimed)
        }
        extendNames(tokens: tokens, claims: &claimed)
        for rule in FreeTextScrubberRules.last {
            rule.apply(to: ns, referenceYear: referenceYear, claims: &claimed)
        }
        return mergeNames(claimed.sorted, units: Array(text.utf16))
    }

    /// Longest known sequence at each token; the tokens of one match may be apart by
    /// up to three characters of punctuation or space (`555-123-4567`, `O'Connor`).
    private func matchKnown(_ lexicon: FreeTextScrubberLexicon, tokens: [FreeTextScrubberToken], claims: inout FreeTextScrubberClaims) {
        guard lexicon.maxLength > 0 else { return }
        let keys = tokens.map(\.key)
        var i = 0
        while i < tokens.count {
            var matched = 0
            var n = min(lexicon.maxLength, tokens.count - i)
            while n > 0 {
                let joinedTightly = (i + 1..<i + n).allSatisfy { j in
                    tokens[j].gapBefore.count <= 3 && !tokens[j].gapBefore.contains(where: \.isNewline)
                }
                if joinedTightly, let category = lexicon.category(of: keys[i..<i + n]) {
                    let span = Span(start: tokens[i].start, end: tokens[i + n - 1].end, category: category, replacement: category.placeholder)
                    if claims.claim(span) { matched = n; break }
                }
                n -= 1
            }
            i += max(matched, 1)
        }
    }

    /// A capitalised word just before a name (`Jane` in "Jane Smith" when Smith is
    /// known; `Siobhan` in "Siobhan O'Connor"), separated by spaces only, up to two.
    private func extendNames(tokens: [FreeTextScrubberToken], claims: inout FreeTextScrubberClaims) {
        for _ in 0..<2 {
            var added = false
            for (index, token) in tokens.enumerated() where index > 0 {
                guard claims.category(startingAt: token.start) == .name else { continue }
                let previous = tokens[index - 1]
                guard !token.gapBefore.isEmpty, token.gapBefore.allSatisfy({ $0 == " " }),
                      FreeTextScrubberRules.looksLikeNameWord(previous.text)
                else { continue }
                if claims.claim(Span(start: previous.start, end: previous.end, category: .name, replacement: Category.name.placeholder)) {
                    added = true
                }
            }
            if !added { break }
        }
        // after a name: the rest of a hyphenated name (`Thornton-Reyes` when Thornton
        // is known) and a middle initial (`Evelyn M (MRN…)`: initials are identifying)
        for (index, token) in tokens.enumerated() where index > 0 {
            let previous = tokens[index - 1]
            guard claims.category(endingAt: previous.end) == .name else { continue }
            let hyphenated = token.gapBefore == "-" && FreeTextScrubberRules.looksLikeNameWord(token.text)
            let next = index + 1 < tokens.count ? tokens[index + 1] : nil
            if hyphenated || (token.gapBefore == " " && Self.isInitial(token, next: next)) {
                // "Darcy J. Smith": the initial's period goes with it when a name follows
                var end = token.end
                if !hyphenated, let next, next.gapBefore.hasPrefix(". "), next.gapBefore.dropFirst().allSatisfy({ $0 == " " }),
                   claims.category(startingAt: next.start) == .name {
                    end += 1
                }
                _ = claims.claim(Span(start: token.start, end: end, category: .name, replacement: Category.name.placeholder))
            }
        }
    }

    /// A single capital letter that reads as an initial: followed by a period, a
    /// comma, a parenthesis or the end of the text (`A` and `I` only with a period).
    private static func isInitial(_ token: FreeTextScrubberToken, next: FreeTextScrubberToken?) -> Bool {
        guard token.text.count == 1, let letter = token.text.first, letter.isUppercase else { return false }
        guard let next else { return letter != "A" && letter != "I" }
        let gap = next.gapBefore
        if gap.hasPrefix(".") { return true }
        guard letter != "A", letter != "I" else { return false }
        return gap.hasPrefix(",") || gap.hasPrefix(" (") || gap.hasPrefix(";")
    }

    /// "Jane Smith" → one `[NAME]`, also across a middle initial ("Darcy J. Smith").
    private func mergeNames(_ spans: [Span], units: [UInt16]) -> [Span] {
        var out: [Span] = []
        for span in spans {
            if var last = out.last, last.category == .name, span.category == .name {
                let gap = String(decoding: units[last.end..<span.start], as: UTF16.self)
                if Self.isNameGap(gap) {
                    last.end = span.end
                    out[out.count - 1] = last
                    continue
                }
            }
            out.append(span)
        }
        return out
    }

    static func isNameGap(_ gap: String) -> Bool {
        if !gap.isEmpty, gap.allSatisfy({ $0 == " " }) { return true }
        if gap == "-" { return true }
        // " J. " / " J "
        let trimmed = gap.trimmingCharacters(in: .whitespaces)
        guard gap.hasPrefix(" "), gap.hasSuffix(" ") else { return false }
        let letters = trimmed.filter { $0 != "." }
        return letters.count == 1 && letters.first!.isUppercase && trimmed.count <= 2
    }
}

/// The spans claimed so far, kept sorted by start.
struct FreeTextScrubberClaims {
    private(set) var sorted: [FreeTextScrubber.Span] = []
    private var byStart: [Int: FreeTextScrubber.Category] = [:]
    private var byEnd: [Int: FreeTextScrubber.Category] = [:]

    /// Claims `span` unless it overlaps one already claimed or is empty.
    mutating func claim(_ span: FreeTextScrubber.Span) -> Bool {
        guard span.end > span.start else { return false }
        // First index whose start is >= span.start.
        var lo = 0, hi = sorted.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if sorted[mid].start < span.start { lo = mid + 1 } else { hi = mid }
        }
        if lo > 0, sorted[lo - 1].end > span.start { return false }
        if lo < sorted.count, sorted[lo].start < span.end { return false }
        sorted.insert(span, at: lo)
        byStart[span.start] = span.category
        byEnd[span.end] = span.category
        return true
    }

    func category(startingAt start: Int) -> FreeTextScrubber.Category? { byStart[start] }

    func category(endingAt end: Int) -> FreeTextScrubber.Category? { byEnd[end] }
}
