/// SplitMix64 (Steele, Lea & Flood 2014; constants from Vigna's reference
/// `splitmix64.c`): a tiny, fast, fully specified generator.
///
/// The synthetic feeds must be byte-identical for a given seed on every platform and
/// every Swift release, so we cannot use `SystemRandomNumberGenerator` (not seedable)
/// or any library generator whose algorithm might change. SplitMix64 passes BigCrush,
/// has a period of 2^64, and its output function is a bijection of its state — plenty
/// for fake data, and not meant for anything cryptographic.
struct SplitMix64: RandomNumberGenerator, Sendable {
    private(set) var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    @inline(__always)
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A value in `0..<bound` by Lemire's multiply-shift (the high word of
    /// `next() * bound`). The bias is at most `bound / 2^64`, which is irrelevant for
    /// fake data, and it costs one multiplication instead of a division.
    @inline(__always)
    mutating func below(_ bound: UInt64) -> UInt64 {
        precondition(bound > 0, "bound must be positive")
        return next().multipliedFullWidth(by: bound).high
    }

    /// An `Int` in `0..<bound` (same method; spelled out, not forwarded, because
    /// unoptimized test builds pay for every call level).
    @inline(__always)
    mutating func below(_ bound: Int) -> Int {
        precondition(bound > 0, "bound must be positive")
        return Int(truncatingIfNeeded: next().multipliedFullWidth(by: UInt64(bound)).high)
    }

    /// An `Int` in `range` (closed).
    @inline(__always)
    mutating func int(in range: ClosedRange<Int>) -> Int {
        range.lowerBound + below(range.upperBound - range.lowerBound + 1)
    }

    /// True with probability `perMille / 1000`.
    @inline(__always)
    mutating func chance(perMille: Int) -> Bool {
        Int(truncatingIfNeeded: next().multipliedFullWidth(by: 1000).high) < perMille
    }
}
