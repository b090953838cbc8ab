import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One pattern detector of the free-text scrubber: a regular expression and what a
/// match turns into (none, one or more spans).
struct FreeTextScrubberRule: Sendable {
    typealias Span = FreeTextScrubber.Span
    let pattern: FreeTextScrubberPattern
    let make: @Sendable (NSTextCheckingResult, NSString, Int) -> [Span]

    init(_ pattern: String, caseInsensitive: Bool = false, make: @escaping @Sendable (NSTextCheckingResult, NSString, Int) -> [Span]) {
        self.pattern = FreeTextScrubberPattern(pattern, caseInsensitive: caseInsensitive)
        self.make = make
    }

    /// The whole match (or capture group `group`) becomes `category`'s placeholder.
    init(_ pattern: String, caseInsensitive: Bool = false, group: Int = 0, _ category: FreeTextScrubber.Category,
         accept: @escaping @Sendable (String) -> Bool = { _ in true })
    {
        self.init(pattern, caseInsensitive: caseInsensitive) { match, text, _ in
            let range = match.range(at: group)
            guard range.location != NSNotFound, accept(text.substring(with: range)) else { return [] }
            return [Span(start: range.location, end: NSMaxRange(range), category: category, replacement: category.placeholder)]
        }
    }

    func apply(to text: NSString, referenceYear: Int, claims: inout FreeTextScrubberClaims) {
        for match in pattern.matches(in: text) {
            for span in make(match, text, referenceYear) { _ = claims.claim(span) }
        }
    }
}

/// The scrubber's detectors, in the order they claim text.
enum FreeTextScrubberRules {
    typealias Rule = FreeTextScrubberRule
    typealias Span = FreeTextScrubber.Span

    // MARK: building blocks

    static let month = #"(?:(?i:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)|May|MAY)\.?"#
    static let day = #"(?:0?[1-9]|[12]\d|3[01])(?:st|nd|rd|th)?"#
    static let year = #"(?:1[89]|20)\d{2}"#

    /// `^`-free lookarounds shared by the numeric patterns: not inside a word, a
    /// decimal, a larger number or a path.
    static let numberStart = #"(?<![\w.,/:-])"#

    // MARK: detectors before the vault's identifiers

    static let leading: [Rule] = [
        // e-mail (before URLs and names: `jane.smith@x.org` is one [EMAIL])
        Rule(#"(?<![\w.%+-])[A-Za-z0-9._%+-]+@(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,}(?![\w-])"#, .email),
        // URLs
        Rule(#"\b(?:https?|ftps?|sftp|file)://[^\s<>"'`]+"#, caseInsensitive: true, make: url),
        Rule(#"(?<![\w@./-])www\.[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+(?::\d+)?(?:/[^\s<>"'`]*)?"#, caseInsensitive: true, make: url),
        Rule(#"(?<![\w@./-])(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+(?:com|org|net|edu|gov|mil|info|biz|io|health|app|us|uk|ca)(?::\d+)?(?:/[^\s<>"'`]*)?(?![\w-])"#,
             caseInsensitive: true, make: url),
        // IP addresses
        Rule(#"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|\d{1,3}(?:\.\d{1,3}){3})?(?:%\w+)?(?![\w:])"#, .ip,
             accept: isIPv6),
        Rule(#"(?<![\w.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?!\w|\.\d)"#, .ip),
        // SSN: dashed or spaced, nine digits, or the last four after "SSN" (I5)
        Rule(#"(?<![\w-])\d{3}([- ])\d{2}\1\d{4}(?![\w-])"#, .ssn),
        Rule(numberStart + #"\d{9}(?!\w|[.,]\d)"#, .ssn),
        Rule(#"\b(?:ssn|ss#|social\s+security(?:\s+(?:number|no\.?|#))?)(?:\s*(?:#|no\.?|number))?(?:\s+(?:ending(?:\s+in)?|last\s+(?:4|four)(?:\s+digits)?|is|of|on\s+file))*[\s:#-]*((?:(?:x{3}|\*{3})-?(?:x{2}|\*{2})-?)?\d{4})(?![\w-])"#,
             caseInsensitive: true, group: 1, .ssn),
        // US phone numbers (with an extension), ten digits, seven digits after a phone word
        Rule(#"(?<![\w+-])(?:\+?1[ .-]?)?(?:\(\d{3}\) ?|\d{3}[ .-])\d{3}[ .-]\d{4}(?:\s*(?:x|ext\.?)\s*\d{1,5})?(?![\w-])"#, .phone),
        Rule(#"(?<![\w.,+-])(?:\+?1)?[2-9]\d{9}(?!\w|[.,]\d)"#, .phone),
        Rule(#"\b(?:call(?:\s+back)?|called|phone|ph|tel|telephone|cell|mobile|pager|page|fax|text|texted|contact|callback|number)(?:\s*(?:#|no\.?|number))?[:.]?\s*(?:at\s+|is\s+)?(\d{3}[-.]\d{4})(?![\w-]|\.\d)"#,
             caseInsensitive: true, group: 1, .phone),
        // dates with a day
        Rule(#"(?<![\w-])"# + year + #"([-/.])(?:0?[1-9]|1[0-2])\1(?:0?[1-9]|[12]\d|3[01])(?:[T ](?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d+)?)?(?:Z|[+-][01]\d:?[0-5]\d)?)?(?![\w-]|[.:]\d)"#, .date),
        Rule(#"(?<![\w/.:-])(?:0?[1-9]|[12]\d|3[01])([/-])(?:0?[1-9]|[12]\d|3[01])\1(?:"# + year + #"|\d{2})(?![\w/]|[-.:]\d)"#, .date),
        Rule(#"(?<![\w/.:-])(?:0?[1-9]|[12]\d|3[01])\.(?:0?[1-9]|[12]\d|3[01])\."# + year + #"(?![\w/]|[-.:]\d)"#, .date),
        Rule(#"(?<![\w.,-])(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])(?:\d{4}(?:\d{2})?)?(?!\w|[.,]\d)"#, .date),
        Rule(#"\b"# + month + #"\s+"# + day + #"(?!\d)(?:,?\s+"# + year + #")?(?!\w)"#, .date),
        Rule(#"\b"# + day + #"(?:\s+of)?[\s-]+"# + month + #"(?:,?[\s-]+(?:"# + year + #"|'?\d{2}))?(?!\w)"#, .date),
        // date elements other than the year, next to a year: dropped, the year kept (D14)
        Rule(#"\b"# + month + #",?\s+(?:of\s+)?("# + year + #")(?!\d)"#, make: keepYear),
        Rule(#"(?<![\w/.-])(?:0?[1-9]|1[0-2])/("# + year + #")(?![\w/]|[-.]\d)"#, make: keepYear),
        Rule(#"(?<![\w-])("# + year + #")-(?:0[1-9]|1[0-2])(?![\w-]|[.:]\d)"#, make: keepYear),
        Rule(#"\b(?:q[1-4]|[1-4]q|(?:first|second|third|fourth|1st|2nd|3rd|4th)\s+quarter(?:\s+of)?)[\s-]*("# + year + #")(?!\d)"#,
             caseInsensitive: true, make: keepYear),
        Rule(#"\b(?:christmas(?:\s+(?:eve|day))?|xmas|thanksgiving|easter|new\s+year'?s(?:\s+(?:eve|day))?|halloween|hanukkah|chanukah|ramadan|passover|diwali|independence\s+day|memorial\s+day|labor\s+day|valentine'?s(?:\s+day)?|(?:early\s+|late\s+|mid-?)?(?:spring|summer|fall|autumn|winter))(?:\s+(?:of|in))?,?\s+("# + year + #")(?!\d)"#,
             caseInsensitive: true, make: keepYear),
        // a birth year that means 90 or older
        Rule(#"\b(?:born(?:\s+in)?|b\.|dob:?|yob:?|birth\s*year:?|year\s+of\s+birth:?)\s*("# + year + #")(?!\d)"#,
             caseInsensitive: true, make: oldBirthYear),
        // month/day without a year, after a date word ("on 3/5"; not "1/2 tab")
        Rule(#"\b(?:on|since|from|until|till|by|dated?|seen|as\s+of|before|after|thru|through)\s+((?:0?[1-9]|1[0-2])/(?:0?[1-9]|[12]\d|3[01]))(?![\w/]|[.,]\d)"#,
             caseInsensitive: true, group: 1, .date),
    ]

    // MARK: detectors after the vault's identifiers

    static let streetSuffix = #"(?:St|Street|Ave|Avenue|Rd|Road|Blvd|Boulevard|Dr|Drive|Ln|Lane|Way|Ct|Court|Pl|Place|Ter|Terrace|Hwy|Highway|Pkwy|Parkway|Cir|Circle|Loop|Trl|Trail|Sq|Square|Pike|Row|Path|Walk|Crossing)"#
    static let nameWord = #"\p{Lu}[\p{L}\p{M}'’-]+"#

    static let trailing: [Rule] = [
        // street addresses and PO boxes
        Rule(#"\b\d{1,6}\s+(?:[NSEW]\.?\s+)?(?:\p{Lu}[\p{L}\p{M}'’-]*\.?\s+){1,3}"# + streetSuffix + #"\b(?:,?\s+(?:Apt|Apartment|Unit|Suite|Ste|#)\.?\s*#?\s*[A-Za-z0-9-]+)?"#, .address),
        Rule(#"\bP\.?\s?O\.?\s*Box\s+\d+\b"#, caseInsensitive: true, .address),
        // ages over 89 (T2): "93 yo", "101-year-old", "aged 95", "93F", "ninety-two year old"
        Rule(numberStart + #"(\d{2,3})(?=\s*-?\s*(?:y/?o\b|y\.o\.?|yrs?\b|years?\b|-?year-old|-?years-old|yo[mf]\b))"#,
             caseInsensitive: true, make: oldAge),
        Rule(#"\b(?:age[ds]?|aged|turn(?:s|ed|ing)?|will\s+be|celebrat(?:ed|ing)\s+(?:her|his|their)?)\s*(?:of\s+|:\s*|is\s+)?(\d{2,3})(?![\w.]|\.\d)"#, caseInsensitive: true, make: oldAge),
        Rule(numberStart + #"(\d{2,3})(?=(?:yo)?[MF]\b)"#, make: oldAgeNotTemperature),
        Rule(#"\b(?:ninety(?:[- ](?:one|two|three|four|five|six|seven|eight|nine))?|(?:one\s+)?hundred(?:\s+and)?(?:[- ](?:one|two|three|four|five|six|seven|eight|nine|ten))?)(?=[\s-]+(?:years?|yrs?|y/?o)\b)"#,
             caseInsensitive: true, .age),
        // room, bed, bay numbers (T6)
        Rule(#"\b(?:room|rm\.?|bed|bay|cubicle|apt\.?|apartment|suite|ste\.?|lot|space|trailer)\s*(?:#|no\.?|number)?\s*([a-z]?\d{1,5}[a-z]?(?:-\d{1,4}[a-z]?)?)(?![\w-])"#,
             caseInsensitive: true, group: 1, .id),
        // a number after an identifier word
        Rule(#"\b(?:mrn|mr#|medical\s+record|acct|mbi|hicn|npi|vin|s/n|sn|udi|fin|csn|id|dl#|medicare|medicaid|accession|plate|serial|barcode|member|subscriber|policy|license|licence|chart|specimen|(?:account|encounter|visit|device|insurance|group|record|case|claim|acc)(?=\s*(?:number|no\.?|#|id)))(?:\s*(?:number|no\.?|#|id))?\s*[:#]?\s*(?=[A-Za-z0-9-]*\d)([A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)"#,
             caseInsensitive: true, group: 1, .id, accept: { value in
                 let digits = value.filter(\.isNumber).count
                 return digits >= 3 || value.filter { $0.isLetter || $0.isNumber }.count >= 4
             }),
        // names after a relation word (T3) or a title; "Dr." is not one (T5)
        Rule(#"(?i:\b(?:daughter|son|wife|husband|spouse|partner|mother|father|mom|dad|sister|brother|sibling|niece|nephew|aunt|uncle|cousin|grandson|granddaughter|grandmother|grandfather|grandma|grandpa|stepson|stepdaughter|stepmother|stepfather|fianc[eé]e?|boyfriend|girlfriend|friend|neighbou?r|roommate|guardian|caregiver|employer|boss|landlord|son-in-law|daughter-in-law)(?:'s|s)?)(?:\s*[,:(-]\s*|\s+(?:named|is|was|called)\s+|\s+)("# + nameWord + #"(?:\s+"# + nameWord + #"){0,2})"#,
             make: nameWords),
        Rule(#"\b(?:Mr|Mrs|Ms|Miss|Mx|Sra|Srta|Mme|Mlle)\.?\s+("# + nameWord + #"(?:\s+"# + nameWord + #"){0,2})"#, make: nameWords),
    ]

    // MARK: detectors after names are complete

    static let last: [Rule] = [
        // ZIP and ZIP+4: five digits on their own, not a quantity
        Rule(#"(?<![\w.,/:$-])\d{5}(?:-\d{4})?(?![\w/:-]|[.,]\d|\s?(?i:units?|iu|mg|mcg|ug|g|kg|ml|l|mmol|meq|cells|copies|cfu|steps|kcal|cal)\b)"#, .zip),
        // identifier-like codes
        Rule(#"(?<![\w.-])[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*(?!\w|-\w)"#, .id, accept: looksLikeIdentifierCode),
    ]

    // MARK: span makers

    @Sendable static func url(_ match: NSTextCheckingResult, _ text: NSString, _: Int) -> [Span] {
        var range = match.range
        let trailing = Set(".,;:!?)]}'\"".utf16)
        while range.length > 0, trailing.contains(text.character(at: NSMaxRange(range) - 1)) {
            let last = text.character(at: NSMaxRange(range) - 1)
            // keep a closing parenthesis that closes one inside the URL
            if last == 0x29 /* ) */, text.substring(with: range).contains("(") { break }
            range.length -= 1
        }
        guard range.length > 4 else { return [] }
        return [Span(start: range.location, end: NSMaxRange(range), category: .url, replacement: FreeTextScrubber.Category.url.placeholder)]
    }

    /// Removes what precedes or follows the year (capture group 1); the year stays.
    @Sendable static func keepYear(_ match: NSTextCheckingResult, _ text: NSString, _: Int) -> [Span] {
        let whole = match.range, year = match.range(at: 1)
        if year.location > whole.location {
            return [Span(start: whole.location, end: year.location, category: .date, replacement: "")]
        }
        return [Span(start: NSMaxRange(year), end: NSMaxRange(whole), category: .date, replacement: "")]
    }

    @Sendable static func oldBirthYear(_ match: NSTextCheckingResult, _ text: NSString, _ referenceYear: Int) -> [Span] {
        let range = match.range(at: 1)
        guard let year = Int(text.substring(with: range)), referenceYear - year >= 90 else { return [] }
        return [Span(start: range.location, end: NSMaxRange(range), category: .date, replacement: FreeTextScrubber.Category.date.placeholder)]
    }

    @Sendable static func oldAge(_ match: NSTextCheckingResult, _ text: NSString, _: Int) -> [Span] {
        let range = match.range(at: 1)
        guard let age = Int(text.substring(with: range)), age > 89 else { return [] }
        return [Span(start: range.location, end: NSMaxRange(range), category: .age, replacement: FreeTextScrubber.Category.age.placeholder)]
    }

    /// "93F" is an age and sex, "T 99F" a temperature.
    @Sendable static func oldAgeNotTemperature(_ match: NSTextCheckingResult, _ text: NSString, _ year: Int) -> [Span] {
        let start = match.range.location
        let from = max(0, start - 16)
        let before = text.substring(with: NSRange(location: from, length: start - from)).lowercased()
        let temperatureWords = ["temp", "tmax", "fever", "febrile", "°"]
        if temperatureWords.contains(where: before.contains) || before.hasSuffix("t ") || before.hasSuffix("t: ") || before.hasSuffix("t:") {
            return []
        }
        return oldAge(match, text, year)
    }

    /// The capitalised words of capture group 1 up to the first that is not a name.
    @Sendable static func nameWords(_ match: NSTextCheckingResult, _ text: NSString, _: Int) -> [Span] {
        let group = match.range(at: 1)
        guard group.location != NSNotFound else { return [] }
        var spans: [Span] = []
        var offset = group.location
        var word = "", wordStart = offset
        func endWord() -> Bool {
            defer { word = "" }
            guard !word.isEmpty else { return true }
            guard looksLikeNameWord(word) else { return false }
            spans.append(Span(start: wordStart, end: offset, category: .name, replacement: FreeTextScrubber.Category.name.placeholder))
            return true
        }
        for character in text.substring(with: group) {
            if character.isWhitespace {
                guard endWord() else { return spans }
            } else {
                if word.isEmpty { wordStart = offset }
                word.append(character)
            }
            offset += character.utf16.count
        }
        _ = endWord()
        return spans
    }

    // MARK: predicates

    @Sendable static func isIPv6(_ candidate: String) -> Bool {
        guard candidate.filter({ $0 == ":" }).count >= 2 else { return false }
        let address = candidate.split(separator: "%", maxSplits: 1).first.map(String.init) ?? candidate
        var buffer = in6_addr()
        return inet_pton(AF_INET6, address, &buffer) == 1
    }

    /// Letters and digits with four digits or more and six characters or more
    /// (`MRN0012345`, `1EG4-TE5-MK73`, `7ABC123`) — not a quantity with a unit
    /// (`1000mg`); digits only: seven or more (nine or more across dashes, so
    /// `2019-2024` and `150-400` stay).
    @Sendable static func looksLikeIdentifierCode(_ token: String) -> Bool {
        let alnum = token.filter { $0 != "-" }
        let digits = alnum.filter(\.isNumber).count
        let letters = alnum.count - digits
        if letters == 0 {
            return token.contains("-") ? digits >= 9 : digits >= 7
        }
        guard digits >= 4, alnum.count >= 6 else { return false }
        // digits then a short unit: a quantity
        if !token.contains("-"), let firstLetter = alnum.firstIndex(where: \.isLetter),
           alnum[..<firstLetter].allSatisfy(\.isNumber), alnum[firstLetter...].allSatisfy(\.isLetter),
           alnum.distance(from: firstLetter, to: alnum.endIndex) <= 5
        {
            return false
        }
        return true
    }

    /// A capitalised word that can be a name: two letters or more, not a common
    /// English or clinical word, not a short all-capitals abbreviation.
    static func looksLikeNameWord(_ word: String) -> Bool {
        guard let first = word.first, first.isUppercase, first.isLetter, word.count >= 2 else { return false }
        guard word.allSatisfy({ $0.isLetter || $0 == "'" || $0 == "’" || $0 == "-" }) else { return false }
        if word.count <= 3, word.allSatisfy({ !$0.isLetter || $0.isUppercase }) { return false }
        return !notNames.contains(FreeTextScrubberTokenizer.fold(word))
    }

    static let notNames: Set<String> = [
        "pt", "pts", "patient", "patients", "mr", "mrs", "ms", "dr", "doctor", "nurse", "rn", "md", "np", "pa",
        "the", "a", "an", "and", "or", "but", "if", "then", "he", "she", "they", "we", "it", "his", "her", "hers",
        "their", "our", "my", "your", "is", "was", "were", "are", "be", "been", "being", "has", "had", "have",
        "at", "in", "on", "of", "to", "for", "with", "from", "by", "via", "per", "not", "no", "yes", "as", "into",
        "called", "call", "calls", "spoke", "speaks", "saw", "seen", "see", "sees", "met", "reports", "reported",
        "states", "stated", "says", "said", "denies", "denied", "notes", "noted", "today", "yesterday", "tomorrow",
        "tonight", "this", "that", "these", "those", "also", "will", "would", "can", "could", "may", "might",
        "should", "did", "does", "do", "who", "which", "when", "where", "why", "how", "present", "presents",
        "presented", "here", "there", "home", "unknown", "none", "aware", "notified", "declined", "visited",
        "contacted", "asked", "told", "informed", "discussed", "family", "dear", "hi", "hello", "thanks",
        "please", "note", "plan", "assessment", "history", "impression", "diagnosis", "admitted", "discharged",
        "transferred", "given", "started", "continue", "continued", "follow", "contact", "emergency", "medical",
        "hospital", "clinic", "center", "centre", "health", "dept", "department", "unit", "room", "bed", "floor",
        "saint", "mount", "lake", "fort", "new", "north", "south", "east", "west", "county", "general",
        "memorial", "university", "at", "bedside", "accompanied", "brought", "came", "comes", "drove", "arrived",
        "daughter", "son", "wife", "husband", "spouse", "partner", "mother", "father", "mom", "dad", "sister",
        "brother", "sibling", "niece", "nephew", "aunt", "uncle", "cousin", "grandson", "granddaughter",
        "grandmother", "grandfather", "friend", "neighbor", "neighbour", "roommate", "guardian", "caregiver",
        "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "january", "february",
        "march", "april", "june", "july", "august", "september", "october", "november", "december",
        "after", "before", "during", "while", "since", "until", "again", "still", "now", "later", "earlier",
        "prior", "post", "pre", "left", "right", "bilateral", "positive", "negative", "normal", "stable",
        "improved", "worse", "better", "pain", "denies", "reports", "states", "feels", "felt",
    ]
}
