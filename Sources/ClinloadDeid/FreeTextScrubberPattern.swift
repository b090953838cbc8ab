import Foundation

/// A compiled ICU regular expression (`NSRegularExpression`), shared read-only:
/// the class is immutable and documented thread-safe, hence `@unchecked Sendable`.
/// ICU rather than Swift `Regex`: the scrubber's patterns need look-behind.
final class FreeTextScrubberPattern: @unchecked Sendable {
    let regex: NSRegularExpression

    init(_ pattern: String, caseInsensitive: Bool = false) {
        do {
            regex = try NSRegularExpression(pattern: pattern, options: caseInsensitive ? [.caseInsensitive] : [])
        } catch {
            preconditionFailure("FreeTextScrubber: invalid built-in pattern \(pattern)")
        }
    }

    func matches(in text: NSString) -> [NSTextCheckingResult] {
        regex.matches(in: text as String, options: [], range: NSRange(location: 0, length: text.length))
    }
}
