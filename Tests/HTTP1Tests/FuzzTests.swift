import TestSupport
import Foundation
import Testing
@testable import HTTP1

/// A mutation fuzzer over the request corpus, fixed seed, bounded iterations.
/// It checks that nothing crashes (run it under ASan, see BENCHMARKS-http.md)
/// and that split-invariance holds for mutated inputs too.
///
///     swift test --sanitize=address --filter HTTP1Tests.FuzzTests
@Suite struct FuzzTests {
    static let tokens: [String] = [
        "\r\n", "\n", "\r", " ", "\t", ":", ";", ",", "0", "-1", "ffffffffffffffffff", "\r\n\r\n",
        "Content-Length: ", "Transfer-Encoding: chunked\r\n", "Host: h\r\n", "Expect: 100-continue\r\n",
        "HTTP/1.1", "HTTP/1.0", "%", "%2", "%00", "?", "&=", "GET / HTTP/1.1\r\nHost: a\r\n\r\n",
        "0\r\n\r\n", "5\r\nhello\r\n", "Connection: close\r\n", "\u{7F}", "\u{0}", "é",
    ]

    static func mutate(_ input: [UInt8], _ rng: inout SplitMix64) -> [UInt8] {
        var bytes = input
        for _ in 0..<Int.random(in: 1...4, using: &rng) {
            let pos = bytes.isEmpty ? 0 : Int.random(in: 0..<bytes.count, using: &rng)
            switch Int.random(in: 0..<7, using: &rng) {
            case 0 where !bytes.isEmpty:
                bytes[pos] ^= UInt8(1) << UInt8.random(in: 0..<8, using: &rng)
            case 1 where !bytes.isEmpty:
                bytes[pos] = UInt8.random(in: 0...255, using: &rng)
            case 2 where !bytes.isEmpty:
                bytes.remove(at: pos)
            case 3:
                bytes.insert(contentsOf: Array(tokens[Int.random(in: tokens.indices, using: &rng)].utf8), at: pos)
            case 4 where !bytes.isEmpty:
                let end = min(bytes.count, pos + Int.random(in: 1...32, using: &rng))
                bytes.insert(contentsOf: bytes[pos..<end], at: pos)
            case 5:
                let all = RequestCorpus.all
                let other = Array(all[Int.random(in: all.indices, using: &rng)].utf8)
                let cut = Int.random(in: 0...other.count, using: &rng)
                bytes = Array(bytes[..<pos]) + other[cut...]
            default:
                if !bytes.isEmpty { bytes.removeSubrange(pos..<min(bytes.count, pos + Int.random(in: 1...16, using: &rng))) }
            }
        }
        return bytes
    }

    @Test func mutatedRequestsNeverCrashAndSplitsAgree() {
        var rng = SplitMix64(seed: 0xF022)
        var limits = HTTPLimits()
        limits.maxRequestLineBytes = 256
        limits.maxHeaderBytes = 1024
        limits.maxHeaderCount = 16
        limits.maxBodyBytes = 4096
        let corpus = RequestCorpus.all.map { Array($0.utf8) }
        var errors = 0, accepted = 0
        for _ in 0..<3000 {
            let input = Self.mutate(corpus[Int.random(in: corpus.indices, using: &rng)], &rng)
            let whole = decode([input], limits: limits)
            let split = decode(randomSplit(input, using: &rng), limits: limits)
            #expect(split == whole, "input: \(String(decoding: input.prefix(120), as: UTF8.self).debugDescription)")
            if whole.error != nil { errors += 1 } else { accepted += 1 }
        }
        // The mutator must actually reach both outcomes.
        #expect(errors > 100 && accepted > 100)
    }

    @Test func mutatedMultipartBodiesNeverCrash() {
        var rng = SplitMix64(seed: 7578)
        let seeds = [
            MultipartDecoderTests.body([("name", nil, "x"), ("weights", "w.bin", "\r\n--\r\nabc")]),
            MultipartDecoderTests.body([("a", nil, "")], preamble: "pre\r\n", epilogue: "post"),
        ]
        for _ in 0..<2000 {
            let input = Self.mutate(seeds[Int.random(in: seeds.indices, using: &rng)], &rng)
            var d = MultipartDecoder(boundary: MultipartDecoderTests.boundary, limits: MultipartLimits(maxPartBytes: 64, maxParts: 4))
            for chunk in randomSplit(input, using: &rng) {
                d.append(chunk)
                while (try? d.next()) ?? nil != nil {}
            }
            d.finishInput()
            while (try? d.next()) ?? nil != nil {}
        }
    }

    @Test func serverSurvivesMutatedRequestsOverASocket() async throws {
        var rng = SplitMix64(seed: 0x50CE7)
        var limits = HTTPLimits()
        limits.headerReadTimeout = .milliseconds(300)
        let f = try ServerFixture(limits: limits)
        let corpus = RequestCorpus.all.map { Array($0.utf8) }
        for i in 0..<150 {
            let input = Self.mutate(corpus[Int.random(in: corpus.indices, using: &rng)], &rng)
            let c = try TestClient(i % 2 == 0 ? f.v4 : f.v6, timeoutSeconds: 5)
            try? c.send(input)
            c.close()
        }
        let check = try TestClient(f.v4)
        try check.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try check.readResponse().text == "ok")
        await f.server.shutdown(gracePeriod: .seconds(1))
    }
}
