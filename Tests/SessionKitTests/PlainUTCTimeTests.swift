import Foundation
import Testing
@testable import SessionKit

/// The arithmetic time stamps give exactly what `Date.ISO8601FormatStyle` gives, and leave to it
/// every text they do not read strictly.
@Suite struct PlainUTCTimeTests {
    static let written = Date.ISO8601FormatStyle(timeZone: TimeZone(secondsFromGMT: 0)!)
    static let read = Date.ISO8601FormatStyle()

    @Test func formatAndParseAgreeWithTheStyle() throws {
        var generator = SystemRandomNumberGenerator()
        var samples: [Double] = [0, 0.999, 59.5, 86_399.99, 951_782_400, 4_107_542_399, 253_402_300_799.9,
                                 0.9999999, 0.99999999, 1.0.nextDown, 59.9999999, 1_700_000_000.9999999, 1_700_000_000.0.nextDown, 978_307_199.9999999]
        for _ in 0..<20_000 { samples.append(Double.random(in: 0..<PlainUTCTime.end, using: &generator)) }
        for interval in samples {
            let date = Date(timeIntervalSince1970: interval)
            let text = try #require(PlainUTCTime.format(date))
            #expect(text == date.formatted(Self.written), "\(interval)")
            #expect(PlainUTCTime.parse(text) == (try? Date(text, strategy: Self.read)), "\(text)")
        }
    }

    @Test func everythingElseIsTheStyles() {
        for interval in [-0.5, -86_400.0, PlainUTCTime.end, 1e13] {
            #expect(PlainUTCTime.format(Date(timeIntervalSince1970: interval)) == nil)
        }
        for text in ["2026-02-30T00:00:00Z", "2026-12-07T24:00:00Z", "2026-12-07T08:41:60Z", "1969-12-31T23:59:59Z",
                     "2026-12-07t08:41:29z", "2026-12-07T08:41:29+01:00", "2026-12-07 08:41:29Z", "2026-12-07T08:41:29.5Z",
                     "2026-13-01T00:00:00Z", "2100-02-29T00:00:00Z", "+026-12-07T08:41:29Z", ""] {
            #expect(PlainUTCTime.parse(text) == nil, "\(text)")
            #expect(Timestamp.parse(text) == (try? Date(text, strategy: Self.read)) ?? (try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))), "\(text)")
        }
        #expect(PlainUTCTime.parse("2000-02-29T12:00:00Z") != nil && PlainUTCTime.parse("2024-02-29T00:00:00Z") != nil)
    }
}
