import TestSupport
@testable import HTTP1

/// Everything a decoder produced for one input: events with adjacent body
/// pieces merged, then the error that stopped it (if any).
struct DecodeOutcome: Equatable, CustomStringConvertible {
    var events: [HTTPRequestDecoderEvent] = []
    var error: HTTPParseError?

    var description: String {
        events.map { e -> String in
            switch e {
            case .head(let h): "head(\(h.method) \(h.target))"
            case .body(let b): "body(\(b.count))"
            case .end(let t): "end(\(t.count) trailers)"
            }
        }.joined(separator: ", ") + (error.map { " error \($0)" } ?? "")
    }

    mutating func add(_ event: HTTPRequestDecoderEvent) {
        if case .body(let more) = event, case .body(let have)? = events.last {
            events[events.count - 1] = .body(have + more)
        } else {
            events.append(event)
        }
    }
}

/// Feeds `chunks` one after another, draining events after each.
func decode(_ chunks: [[UInt8]], limits: HTTPLimits = HTTPLimits()) -> DecodeOutcome {
    var decoder = HTTPRequestDecoder(limits: limits)
    var outcome = DecodeOutcome()
    for chunk in chunks {
        decoder.append(chunk)
        do {
            while let event = try decoder.next() { outcome.add(event) }
        } catch {
            outcome.error = error
            return outcome
        }
    }
    return outcome
}

func decode(_ text: String, limits: HTTPLimits = HTTPLimits()) -> DecodeOutcome {
    decode([Array(text.utf8)], limits: limits)
}

/// Splits `bytes` at random points (fixed generator).
func randomSplit(_ bytes: [UInt8], using rng: inout SplitMix64) -> [[UInt8]] {
    var chunks: [[UInt8]] = []
    var i = 0
    while i < bytes.count {
        let n = Int.random(in: 1...max(1, min(64, bytes.count - i)), using: &rng)
        chunks.append(Array(bytes[i..<(i + n)]))
        i += n
    }
    return chunks
}
