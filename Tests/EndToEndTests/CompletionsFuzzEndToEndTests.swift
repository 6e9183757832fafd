import Foundation
import Testing
import TestSupport

/// 10,000 random `/v1/completions` bodies (random field types, extreme
/// numbers, malformed and duplicate-key JSON) against the real binary over
/// one keep-alive connection: every one gets a 200 or a 4xx, none a 5xx or a
/// dropped connection, and the daemon's memory stays bounded.
@Suite struct CompletionsFuzzEndToEndTests {
    static let cases = 10_000
    static let fields = ["prompt", "max_tokens", "temperature", "top_p", "top_k", "seed", "stop", "stream",
                         "logprobs", "n", "best_of", "echo", "model", "adapter", "user", "presence_penalty",
                         "frequency_penalty", "repetition_penalty", "logit_bias", "ignore_eos", "suffix", "lora", "min_p"]

    /// A random JSON value, biased to the shapes that break parsers.
    static func value(_ rng: inout SplitMix64, depth: Int = 0) -> String {
        switch Int.random(in: 0..<14, using: &rng) {
        case 0: return ["9223372036854775807", "18446744073709551615", "-9223372036854775808", "-9223372036854775809"]
            .randomElement(using: &rng)!
        case 1: return ["1e400", "-1e400", "1e-400", "-0", "0.0", "1e308", "4.9e-324", "123456789012345678901234567890"]
            .randomElement(using: &rng)!
        case 2: return String(Int.random(in: -3...40, using: &rng))
        case 3: return String(Double.random(in: -2...3, using: &rng))
        case 4: return ["true", "false", "null"].randomElement(using: &rng)!
        case 5: return "\"" + ["hi", "The", "", "\\u0000", "é\\n\\t", "\\ud800", "python", "tiny-llama", "python:0.5",
                               "a:1,b:2", "python:1e30", String(repeating: "x", count: 300)].randomElement(using: &rng)! + "\""
        case 6 where depth < 3:
            return "[" + (0..<Int.random(in: 0...3, using: &rng)).map { _ in value(&rng, depth: depth + 1) }.joined(separator: ",") + "]"
        case 7 where depth < 3:
            return "[" + (0..<Int.random(in: 0...4, using: &rng)).map { _ in String(Int.random(in: -5...3000, using: &rng)) }
                .joined(separator: ",") + "]"
        case 8 where depth < 3:
            // Keys that are token ids too, for `logit_bias`.
            return "{\"" + ["k", "5", "2047", "99999"].randomElement(using: &rng)! + "\": " + value(&rng, depth: depth + 1) + "}"
        default: return "\"hi\""
        }
    }

    static func body(_ rng: inout SplitMix64) -> String {
        var members: [String] = []
        if Int.random(in: 0..<10, using: &rng) > 0 { members.append("\"prompt\": " + (Bool.random(using: &rng) ? "\"hi\"" : value(&rng))) }
        for field in fields.shuffled(using: &rng).prefix(Int.random(in: 0...6, using: &rng)) {
            members.append("\"\(field)\": " + value(&rng))
        }
        if Int.random(in: 0..<20, using: &rng) == 0, let first = members.first { members.append(first) }   // duplicate key
        var text = "{" + members.joined(separator: ", ") + "}"
        if Int.random(in: 0..<25, using: &rng) == 0 { text = String(text.prefix(Int.random(in: 0...text.count, using: &rng))) }
        if Int.random(in: 0..<50, using: &rng) == 0 { text = value(&rng) }   // not an object at all
        return text
    }

    @Test func tenThousandRandomBodiesGetA200OrA4xxAndMemoryStaysBounded() throws {
        let dir = try Fixtures.temporaryDirectory("lorad-fuzz")
        let daemon = try LoradProcess(directory: dir, arguments: ["--context-length", "12"])
        defer { daemon.cleanUp() }
        let client = KeepAliveClient(port: daemon.port)
        var rng = SplitMix64(seed: 0xf022_c0de)
        var statuses: [Int: Int] = [:]
        var failures: [String] = []
        var warm = 0
        for i in 0..<Self.cases {
            if i == 500 { warm = ProcessMemory.residentBytes(pid: daemon.process.processIdentifier) }
            let body = Self.body(&rng)
            let path = Int.random(in: 0..<10, using: &rng) == 0 ? "/v1/completions?adapter=" + ["x", "python", "a:b", "%00"][i % 4]
                                                                : "/v1/completions"
            do {
                let r = try client.post(path, json: body)
                statuses[r.status, default: 0] += 1
                if r.status >= 500 || r.status < 200 { failures.append("\(r.status) for \(body.prefix(200)): \(r.text.prefix(200))") }
                if r.status == 200, r.header("Content-Type")?.hasPrefix("text/event-stream") == true,
                   !r.text.hasSuffix("data: [DONE]\n\n") {
                    failures.append("stream without [DONE] for \(body.prefix(200))")
                }
            } catch {
                failures.append("\(error) for \(body.prefix(200))")
                client.disconnect()
                guard daemon.process.isRunning else { break }
            }
            if failures.count > 10 { break }
        }
        #expect(failures.isEmpty, "\(failures.prefix(5))")
        #expect(daemon.process.isRunning, "the daemon died:\n\(daemon.stderr.suffix(2000))")
        #expect((statuses[200] ?? 0) > 100 && (statuses[400] ?? 0) > 1000, "\(statuses)")
        let grown = ProcessMemory.residentBytes(pid: daemon.process.processIdentifier) - warm
        #expect(grown < 64 << 20, "daemon RSS grew by \(grown >> 20) MB after warm-up")
    }
}
