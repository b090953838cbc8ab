import ClinloadValidate
import Testing

@Suite("Timestamps from feeds")
struct TimestampSyntaxTests {
    func normalise(_ s: String) -> String? {
        var bytes = Array(s.utf8)
        var out: [UInt8] = []
        let ok = bytes.withUnsafeMutableBufferPointer { TimestampSyntax.normalise(UnsafeBufferPointer($0), into: &out) }
        return ok ? String(decoding: out, as: UTF8.self) : nil
    }

    @Test(arguments: [
        ("1961", "1961-01-01 00:00:00+00:00"),
        ("196106", "1961-06-01 00:00:00+00:00"),
        ("19610615", "1961-06-15 00:00:00+00:00"),
        ("198808181126", "1988-08-18 11:26:00+00:00"),
        ("20070101120530.1234-0500", "2007-01-01 12:05:30.1234-05:00"),
        ("20240229", "2024-02-29 00:00:00+00:00"),
        ("2019-02-17T05:07:38Z", "2019-02-17 05:07:38+00:00"),
        ("2019-02-17", "2019-02-17 00:00:00+00:00"),
        ("2019-02-17T05:07:38.5+01:00", "2019-02-17 05:07:38.5+01:00"),
    ])
    func acceptedForms(_ input: String, _ expected: String) {
        #expect(normalise(input) == expected)
    }

    @Test(arguments: ["", "19", "1961131", "19611301", "19610230", "20230229", "1961061525", "19610615+05",
                      "2019-02-30", "2019-02-17T25:00:00Z", "abc", "19610615 x", "00000101"])
    func rejectedForms(_ input: String) {
        #expect(normalise(input) == nil)
    }
}
