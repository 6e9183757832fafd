import Foundation
import Testing
@testable import Daemon

/// `created_at` is written by hand; it must read exactly as Foundation's
/// ISO8601DateFormatter (internet date time, fractional seconds) writes it.
@Suite struct AdapterTimestampTests {
    @Test func handWrittenTimestampsEqualFoundationsISO8601() {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        var rng = SystemRandomNumberGenerator()
        // Registry timestamps are whole milliseconds; include the epoch, a
        // leap day, the end of a year and random instants up to 2100.
        var milliseconds: [Int64] = [0, 999, 1_000, 951_782_400_000, 1_704_067_199_999, 4_102_444_799_999]
        for _ in 0..<500 { milliseconds.append(Int64.random(in: 0...4_102_444_800_000, using: &rng)) }
        for ms in milliseconds {
            let date = Date(timeIntervalSince1970: Double(ms) / 1000)
            #expect(AdapterResource.timestamp(date) == formatter.string(from: date), "\(ms) ms")
        }
    }
}
