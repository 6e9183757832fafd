import Testing
@testable import Tokenization

/// Stop-string matching over streamed text.
struct StopMatcherTests {
    /// Feeds `pieces`; returns everything emitted (pushes + finish) and whether it stopped.
    private func run(_ stops: [String], _ pieces: [String]) -> (text: String, stopped: Bool, emitted: [String]) {
        var matcher = StopMatcher(stops: stops)
        var emitted: [String] = []
        var stopped = false
        for p in pieces {
            let r = matcher.push(p)
            emitted.append(r.emit)
            if r.stopped { stopped = true; break }
        }
        emitted.append(matcher.finish())
        return (emitted.joined(), stopped, emitted)
    }

    @Test func aStopSplitAcrossPiecesIsCaught() {
        let r = run(["</end>"], ["hello </", "en", "d> after"])
        #expect(r.stopped)
        #expect(r.text == "hello ")
        #expect(r.emitted[0] == "hello ") // "</" held back: it may start the stop
    }

    @Test func overlappingPrefixesStillFindTheStop() {
        let r = run(["abc"], ["a", "b", "a", "b", "c", "d"])
        #expect(r.stopped)
        #expect(r.text == "ab")
    }

    @Test func theEarliestOfSeveralStopsWins() {
        let r = run(["world", "lo w", "xyz"], ["hel", "lo wor", "ld"])
        #expect(r.stopped)
        #expect(r.text == "hel")
        var m = StopMatcher(stops: ["world", "lo w"])
        _ = m.push("hello world")
        #expect(m.matchedStop == "lo w")
    }

    @Test func aStopAtTheVeryStartEmitsNothing() {
        let r = run(["\n\n"], ["\n", "\nrest"])
        #expect(r.stopped)
        #expect(r.text == "")
    }

    @Test func withoutAStopFinishReturnsTheHeldText() {
        var m = StopMatcher(stops: ["STOP"])
        let a = m.push("go ST")
        #expect(a.emit == "go " && !a.stopped)
        let b = m.push("O")
        #expect(b.emit == "" && !b.stopped)
        #expect(m.finish() == "STO")
        let r = run(["xyz"], ["plain ", "text"])
        #expect(!r.stopped && r.text == "plain text")
    }

    @Test func afterAStopNothingMoreIsEmitted() {
        var m = StopMatcher(stops: ["."])
        #expect(m.push("a.b") == (emit: "a", stopped: true))
        #expect(m.push("more") == (emit: "", stopped: true))
        #expect(m.finish() == "")
    }

    @Test func emptyStopStringsAreIgnored() {
        let r = run(["", "zz"], ["abc"])
        #expect(!r.stopped && r.text == "abc")
    }

    @Test func stopsMatchInsideCombiningSequences() {
        // "e" + U+0301 is one Character; the stop "e" must still match by scalars.
        let r = run(["e"], ["Cafe\u{301}"])
        #expect(r.stopped && r.text == "Caf")
    }
}
