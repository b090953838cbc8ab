import Foundation

/// The extracted patients' vault identifiers, for the release gate's whole-word
/// lookup: each identifier as its sequence of words (letters and digits, lower-cased,
/// accents removed), found in a value when the value's words contain that sequence.
/// `Smith` is in "Dr. SMITH's note" but not in "Smithson"; `555-123-4567` is in
/// "call 555 123 4567". Values under three characters are ignored (initials, states).
struct ReleaseGateIdentifierIndex: Sendable {
    private var sequences: Set<[String]> = []
    private var firstWords: Set<String> = []
    private var longest = 0

    init(_ identifiers: Set<String>) {
        for identifier in identifiers {
            let trimmed = identifier.trimmingCharacters(in: .whitespacesAndNewlines)
            guard trimmed.count >= 3 else { continue }
            let words = Self.words(trimmed)
            guard let first = words.first else { continue }
            sequences.insert(words)
            firstWords.insert(first)
            longest = max(longest, words.count)
        }
    }

    var isEmpty: Bool { sequences.isEmpty }

    func occurs(in value: String) -> Bool {
        guard longest > 0 else { return false }
        let words = Self.words(value)
        for start in words.indices where firstWords.contains(words[start]) {
            for length in 1...min(longest, words.count - start) where sequences.contains(Array(words[start..<start + length])) {
                return true
            }
        }
        return false
    }

    /// Case- and accent-folded words of letters and digits.
    static func words(_ text: String) -> [String] {
        if text.utf8.allSatisfy({ $0 < 0x80 }) { return asciiWords(text) }
        let folded = text.folding(options: [.caseInsensitive, .diacriticInsensitive], locale: nil)
        var out: [String] = []
        var current = ""
        for character in folded {
            if character.isLetter || character.isNumber {
                current.append(character)
            } else if !current.isEmpty {
                out.append(current)
                current = ""
            }
        }
        if !current.isEmpty { out.append(current) }
        return out
    }

    private static func asciiWords(_ text: String) -> [String] {
        var out: [String] = []
        var current: [UInt8] = []
        for var byte in text.utf8 {
            let isDigit = byte >= 0x30 && byte <= 0x39
            let isUpper = byte >= 0x41 && byte <= 0x5A
            let isLower = byte >= 0x61 && byte <= 0x7A
            if isDigit || isUpper || isLower {
                if isUpper { byte |= 0x20 }
                current.append(byte)
            } else if !current.isEmpty {
                out.append(String(decoding: current, as: UTF8.self))
                current.removeAll(keepingCapacity: true)
            }
        }
        if !current.isEmpty { out.append(String(decoding: current, as: UTF8.self)) }
        return out
    }
}
