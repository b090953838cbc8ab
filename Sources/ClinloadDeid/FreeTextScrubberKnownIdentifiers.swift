/// One patient's own identifiers, as the identity vault knows them, for the
/// free-text scrubber: every occurrence in a note is replaced, case- and
/// accent-insensitively, on word boundaries.
///
/// Pass relatives' names (NK1, guarantor) in `names` too when the vault has them:
/// Safe Harbor covers the identifiers of relatives, employers and household members.
public struct KnownIdentifiers: Sendable, Hashable {
    /// Personal names, whole (`"Darcy Smith"`) or in parts (`"Darcy"`, `"Smith"`).
    /// Every part of two letters or more is matched on its own, as is the whole name.
    public var names: [String]
    /// MRNs, SSNs, account, member and visit numbers...
    public var numbers: [String]
    /// Street addresses (`"123 Main St Apt 4"`): also matched without the unit
    /// (`"123 Main St"`), without the house number (`"Main St"`), and with street
    /// words abbreviated or spelled out (`St` / `Street`).
    public var addresses: [String]
    public var cities: [String]
    public var phones: [String]

    public init(
        names: [String] = [], numbers: [String] = [], addresses: [String] = [],
        cities: [String] = [], phones: [String] = []
    ) {
        self.names = names
        self.numbers = numbers
        self.addresses = addresses
        self.cities = cities
        self.phones = phones
    }

    /// No patient identifiers: pattern-based scrubbing only.
    public static let none = KnownIdentifiers()

    public var isEmpty: Bool {
        names.isEmpty && numbers.isEmpty && addresses.isEmpty && cities.isEmpty && phones.isEmpty
    }
}

// MARK: - Matching the vault's identifiers in a text

/// A word of a text: a maximal run of letters and digits (with the combining marks
/// attached to them), its UTF-16 bounds, and its comparison key (case and accents
/// folded, street words canonicalised).
struct FreeTextScrubberToken {
    var start: Int
    var end: Int
    var key: String
    /// The word as written.
    var text: String
    /// The characters between the previous token and this one (empty for the first).
    var gapBefore: String
}

enum FreeTextScrubberTokenizer {
    static func tokens(_ text: String) -> [FreeTextScrubberToken] {
        var out: [FreeTextScrubberToken] = []
        var offset = 0
        var current = String.UnicodeScalarView()
        var currentStart = 0
        var gap = String.UnicodeScalarView()
        func flush() {
            guard !current.isEmpty else { return }
            let word = String(current)
            out.append(FreeTextScrubberToken(start: currentStart, end: offset, key: canonical(fold(word)), text: word, gapBefore: String(gap)))
            current = String.UnicodeScalarView()
            gap = String.UnicodeScalarView()
        }
        for scalar in text.unicodeScalars {
            if isWordScalar(scalar) || (!current.isEmpty && isMark(scalar)) {
                if current.isEmpty { currentStart = offset }
                current.append(scalar)
            } else {
                flush()
                gap.append(scalar)
            }
            offset += scalar.utf16.count
        }
        flush()
        return out
    }

    static func isWordScalar(_ s: Unicode.Scalar) -> Bool {
        if s.isASCII {
            let v = s.value
            return (v >= 0x30 && v <= 0x39) || (v >= 0x41 && v <= 0x5A) || (v >= 0x61 && v <= 0x7A)
        }
        return s.properties.isAlphabetic || s.properties.numericType != nil
    }

    static func isMark(_ s: Unicode.Scalar) -> Bool {
        switch s.properties.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark: return true
        default: return false
        }
    }

    /// Lower case, accents removed (`Peña` → `pena`).
    static func fold(_ word: String) -> String {
        if word.utf8.allSatisfy({ $0 < 0x80 }) { return word.lowercased() }
        var scalars = String.UnicodeScalarView()
        for s in word.decomposedStringWithCanonicalMapping.unicodeScalars where !isMark(s) {
            scalars.append(s)
        }
        return String(scalars).lowercased()
    }

    /// Street, direction and place words in one spelling, so that `Street` in a note
    /// matches `St` in the vault.
    static func canonical(_ folded: String) -> String {
        canonicalWords[folded] ?? folded
    }

    static let canonicalWords: [String: String] = [
        "street": "st", "str": "st", "avenue": "ave", "av": "ave", "road": "rd", "drive": "dr",
        "lane": "ln", "boulevard": "blvd", "court": "ct", "place": "pl", "terrace": "ter",
        "highway": "hwy", "parkway": "pkwy", "circle": "cir", "square": "sq", "trail": "trl",
        "north": "n", "south": "s", "east": "e", "west": "w", "northeast": "ne", "northwest": "nw",
        "southeast": "se", "southwest": "sw", "apartment": "apt", "suite": "ste", "saint": "st",
        "mount": "mt", "fort": "ft", "building": "bldg", "floor": "fl",
    ]
}

/// The vault's identifiers of one patient as token sequences, for longest-match
/// lookup over a text's tokens.
struct FreeTextScrubberLexicon {
    private(set) var entries: [[String]: FreeTextScrubber.Category] = [:]
    private(set) var maxLength = 0

    init(_ known: KnownIdentifiers) {
        // Inserted from the weakest to the strongest claim: a sequence that is both a
        // city and a name is a name; both a name and an address part, an address.
        for city in known.cities { add(FreeTextScrubberTokenizer.tokens(city).map(\.key), .city, minimumCharacters: 3) }
        for name in known.names { addName(name) }
        for number in known.numbers { addNumber(number, .id) }
        for phone in known.phones { addPhone(phone) }
        for address in known.addresses { addAddress(address) }
    }

    func category(of key: ArraySlice<String>) -> FreeTextScrubber.Category? { entries[Array(key)] }

    /// Name particles never matched on their own (`de`, `van`...).
    static let nameParticles: Set<String> = [
        "de", "del", "della", "la", "le", "van", "von", "der", "den", "da", "di", "du", "dos", "das",
        "st", "y", "e", "bin", "al", "el", "ibn", "ben", "mac", "mc", "jr", "sr", "ii", "iii", "iv",
    ]

    private mutating func add(_ keys: [String], _ category: FreeTextScrubber.Category, minimumCharacters: Int = 2) {
        guard !keys.isEmpty, keys.reduce(0, { $0 + $1.count }) >= minimumCharacters else { return }
        entries[keys] = category
        maxLength = max(maxLength, keys.count)
    }

    private mutating func addName(_ name: String) {
        let tokens = FreeTextScrubberTokenizer.tokens(name)
        guard !tokens.isEmpty else { return }
        let keys = tokens.map(\.key)
        // Synthea-style names carry digits (`Maynard46`): also the letters alone.
        let stripped = keys.map { k -> String in
            let letters = String(k.reversed().drop(while: { $0.isNumber }).reversed())
            return letters.count >= 2 ? letters : k
        }
        for variant in Set([keys, stripped]) {
            add(variant, .name, minimumCharacters: 2)
            for key in variant where key.count >= 2 && !Self.nameParticles.contains(key) {
                add([key], .name)
            }
            // Parts joined by an apostrophe or a hyphen (`O'Connor`, `Peña-Ruiz`):
            // the group, and the group written as one word (`OCONNOR`).
            var group: [String] = []
            for (index, token) in tokens.enumerated() {
                let linked = index > 0 && ["'", "’", "-", "‐"].contains(token.gapBefore)
                if !linked {
                    if group.count > 1 { add(group, .name); add([group.joined()], .name) }
                    group = []
                }
                group.append(variant[index])
            }
            if group.count > 1 { add(group, .name); add([group.joined()], .name) }
        }
    }

    private mutating func addNumber(_ number: String, _ category: FreeTextScrubber.Category) {
        let keys = FreeTextScrubberTokenizer.tokens(number).map(\.key)
        add(keys, category, minimumCharacters: 3)
        if keys.count > 1 { add([keys.joined()], category, minimumCharacters: 3) }
        // The digits of an identifier with a prefix (`MRN0012345` → `0012345`).
        let digitRuns = number.split(whereSeparator: { !$0.isASCII || !$0.isNumber }).map(String.init)
        for run in digitRuns where run.count >= 5 && [run] != keys { add([run], category) }
    }

    private mutating func addPhone(_ phone: String) {
        var keys = FreeTextScrubberTokenizer.tokens(phone).map(\.key)
        if keys.first == "1", keys.count == 4 { keys.removeFirst() }
        addNumber(keys.joined(separator: "-"), .phone)
        // Without the area code (`555-0198`).
        if keys.count == 3, keys[1].count == 3, keys[2].count == 4 {
            add(Array(keys[1...]), .phone)
            add([keys[1] + keys[2]], .phone)
        }
    }

    static let unitWords: Set<String> = ["apt", "unit", "ste", "fl", "bldg", "rm", "room", "lot", "trlr", "spc", "box"]

    private mutating func addAddress(_ address: String) {
        let keys = FreeTextScrubberTokenizer.tokens(address).map(\.key)
        add(keys, .address, minimumCharacters: 4)
        // Without the unit (`Apt 4`).
        var line = keys
        if let unit = keys.indices.dropFirst().first(where: { Self.unitWords.contains(keys[$0]) }) {
            line = Array(keys[..<unit])
            add(line, .address, minimumCharacters: 4)
        }
        // The street without its house number (`Main St`): two words at least.
        if let first = line.first, first.contains(where: \.isNumber), line.count >= 3 {
            add(Array(line.dropFirst()), .address, minimumCharacters: 4)
        }
    }
}
