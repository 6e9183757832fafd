import Testing
@testable import HTTP1

/// The body rate floor's arithmetic, against the rule worked by hand: the
/// waits may total one grace period plus one second per `rate` bytes received.
@Suite struct BodyPaceTests {
    static let second: UInt64 = 1_000_000_000

    @Test func allowanceIsTheGracePlusOneSecondPerRateBytes() {
        var pace = BodyPace()
        pace.setWaiting(true, now: 10 * Self.second)
        #expect(pace.deadline(grace: .seconds(1), minBytesPerSecond: 100) == 11 * Self.second)
        pace.receive(250)  // 2.5 s more
        #expect(pace.deadline(grace: .seconds(1), minBytesPerSecond: 100) == 13 * Self.second + Self.second / 2)
    }

    @Test func timeTheHandlerSpendsNotReadingDoesNotCount() {
        var pace = BodyPace()
        pace.setWaiting(true, now: 0)
        pace.receive(50)                                   // allowance 1 s + 0.5 s
        pace.setWaiting(false, now: Self.second / 2)       // 0.5 s used
        pace.setWaiting(true, now: 5 * Self.second)        // 4.5 s busy elsewhere: free
        #expect(pace.deadline(grace: .seconds(1), minBytesPerSecond: 100) == 6 * Self.second)
    }

    @Test func anExhaustedAllowanceIsDueAtOnceAndNoFloorMeansNoDeadline() {
        var pace = BodyPace()
        pace.setWaiting(true, now: 0)
        pace.setWaiting(false, now: 3 * Self.second)
        pace.setWaiting(true, now: 4 * Self.second)
        #expect(pace.deadline(grace: .seconds(1), minBytesPerSecond: 100) == 4 * Self.second)
        #expect(pace.deadline(grace: .seconds(1), minBytesPerSecond: 0) == nil)
        pace.setWaiting(false, now: 5 * Self.second)
        #expect(pace.deadline(grace: .seconds(1), minBytesPerSecond: 100) == nil)
    }

    @Test func hugeCountsSaturateInsteadOfTrapping() {
        var pace = BodyPace()
        pace.setWaiting(true, now: UInt64.max - 10)
        pace.receive(Int.max)
        #expect(pace.deadline(grace: .seconds(Int64.max), minBytesPerSecond: 1) == .max)
    }
}
