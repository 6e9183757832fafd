import Foundation
import Serving
import Synchronization
import Testing
import TestSupport
@testable import Daemon

/// One request runs one stored version of its adapter: every prompt and
/// choice of it, and for chat the template it renders too. A replace is made
/// to land exactly where it once split a request in two (`RequestSeams`):
/// after the request leased its adapter and before its sequences are queued,
/// and between reading a chat template and leasing the weights. Expected
/// texts are solo runs of the same daemon, never written out.
@Suite(.serialized) struct RequestAdapterVersionTests {
    enum Endpoint: String, CaseIterable, Sendable { case completions, chat }

    /// Two made-up chat formats, each putting its own words before the message.
    static let t1 = "{% for m in messages %}Permission is hereby granted {{ m.content }}{% endfor %}"
    static let t2 = "{% for m in messages %}THE SOFTWARE IS PROVIDED {{ m.content }}{% endfor %}"
    static let prompts = ["The licensee may copy", "def main():"]

    /// `POST` of a greedy request: completions of `prompts` (a list when
    /// several), or a chat of `prompts[0]` as the user's message; `n` each.
    static func post(_ daemon: InProcessDaemon, _ endpoint: Endpoint, model: String, prompts: [String] = [prompts[0]],
                     n: Int = 1, stream: Bool = false) throws -> Curl.Response {
        var body: [String: Any] = ["model": model, "max_tokens": 12, "temperature": 0, "n": n, "stream": stream]
        switch endpoint {
        case .completions:
            body["prompt"] = prompts.count == 1 ? prompts[0] as Any : prompts as Any
            return try Curl.postJSON(daemon.base + "/v1/completions", body)
        case .chat:
            body["messages"] = [["role": "user", "content": prompts[0]]]
            return try Curl.postJSON(daemon.base + "/v1/chat/completions", body)
        }
    }

    /// The choices' texts of a 200, by index, from a whole answer or a stream.
    static func texts(_ r: Curl.Response, _ endpoint: Endpoint, stream: Bool) throws -> [String] {
        try #require(r.status == 200, "\(r.status) \(r.text)")
        let objects: [[String: Any]] = try stream
            ? r.text.components(separatedBy: "\n").filter { $0.hasPrefix("data: ") && $0 != "data: [DONE]" }
                .map { try #require(try JSONSerialization.jsonObject(with: Data($0.dropFirst(6).utf8)) as? [String: Any]) }
            : [r.json()]
        var byIndex: [Int: String] = [:]
        for object in objects {
            for choice in object["choices"] as? [[String: Any]] ?? [] {
                let index = try #require(choice["index"] as? Int)
                let part: Any? = switch (endpoint, stream) {
                case (.completions, _): choice["text"]
                case (.chat, false): (choice["message"] as? [String: Any])?["content"]
                case (.chat, true): (choice["delta"] as? [String: Any])?["content"]
                }
                byIndex[index, default: ""] += part as? String ?? ""
            }
        }
        return byIndex.keys.sorted().map { byIndex[$0] ?? "" }
    }

    static func texts(_ daemon: InProcessDaemon, _ endpoint: Endpoint, model: String, prompts: [String] = [prompts[0]],
                      n: Int = 1, stream: Bool = false) throws -> [String] {
        try texts(post(daemon, endpoint, model: model, prompts: prompts, n: n, stream: stream), endpoint, stream: stream)
    }

    /// Each prompt of the endpoint alone, once per choice: what choice p · n + j must equal.
    static func solo(_ daemon: InProcessDaemon, _ endpoint: Endpoint, model: String, prompts: [String], n: Int) throws -> [String] {
        try prompts.flatMap { prompt in
            Array(repeating: try #require(try texts(daemon, endpoint, model: model, prompts: [prompt]).first), count: n)
        }
    }

    /// Every lease ends with its sequences (the last one's end follows its
    /// final event, so this may take a step or two).
    static func leasesEnd(_ daemon: InProcessDaemon) -> Bool {
        let deadline = Date().addingTimeInterval(60)
        while daemon.service.cache.stats.inUseBytes != 0 {
            if Date() > deadline { return false }
            Thread.sleep(forTimeInterval: 0.002)
        }
        return true
    }

    /// A replace that lands after a request's lease and before its sequences
    /// are queued: every choice (completions: 2 prompts × 2; chat: n = 4)
    /// equals the old version's solo run, streamed or not. Before, each
    /// choice leased on its own and the ones after the replace ran the new
    /// weights (chat: under the old version's template).
    @Test(arguments: Endpoint.allCases, [false, true])
    func everyChoiceRunsTheVersionItsRequestLeased(_ endpoint: Endpoint, stream: Bool) async throws {
        try await OffCooperativePool.run {
            let daemon = try InProcessDaemon("lorad-one-version-choices")
            defer { daemon.stop() }
            try #require(try daemon.upload("python-qv-r8", as: "a", template: Self.t1).status == 201)
            try #require(try daemon.upload("upper-all-r4", as: "b", template: Self.t2).status == 201)
            let prompts = endpoint == .chat ? [Self.prompts[0]] : Self.prompts
            let n = endpoint == .chat ? 4 : 2
            let old = try Self.solo(daemon, endpoint, model: "a", prompts: prompts, n: n)
            let new = try Self.solo(daemon, endpoint, model: "b", prompts: prompts, n: n)
            try #require(zip(old, new).allSatisfy { $0 != $1 }, "the two versions must answer every prompt differently")

            let replace = OnceHook { try daemon.replaceNow("a", with: "upper-all-r4", template: Self.t2) }
            daemon.service.seams.set(.adaptersLeased) { replace() }
            let choices = try Self.texts(daemon, endpoint, model: "a", prompts: prompts, n: n, stream: stream)
            daemon.service.seams.set(.adaptersLeased, nil)
            #expect(replace.ran && replace.error == nil, "\(replace.error ?? "the replace never ran")")
            #expect(choices == old, "every choice runs the version leased before the replace")
            #expect(try Self.solo(daemon, endpoint, model: "a", prompts: prompts, n: n) == new,
                    "the replace took: the next request runs the new version")
            #expect(Self.leasesEnd(daemon), "\(daemon.service.cache.stats.inUseBytes) bytes still leased")
        }
    }

    /// The four (weights, template) pairs of v1 = (python-qv-r8, t1) and
    /// v2 = (upper-all-r4, t2), each stored under a name of its own, and
    /// their greedy chat answers, which must all differ.
    static func pairAnswers(_ daemon: InProcessDaemon) throws -> [String: String] {
        let pairs = ["v1": ("python-qv-r8", t1), "v2": ("upper-all-r4", t2),
                     "v1 weights, v2 template": ("python-qv-r8", t2), "v2 weights, v1 template": ("upper-all-r4", t1)]
        var answers: [String: String] = [:]
        for (i, (label, (fixture, template))) in pairs.sorted(by: { $0.key < $1.key }).enumerated() {
            try #require(try daemon.upload(fixture, as: "pair\(i)", template: template).status == 201)
            let answer = try #require(try texts(daemon, .chat, model: "pair\(i)").first)
            answers[label] = answer
        }
        try #require(Set(answers.values).count == 4, "every pair must answer differently: \(answers)")
        return answers
    }

    /// Runs `body` off the cooperative pool with a daemon holding the four
    /// pairs (`pairAnswers`, passed on) and `c` = v1 with its template,
    /// answering as v1; the daemon is stopped afterwards.
    static func withPairs(_ label: String, _ body: (InProcessDaemon, [String: String]) throws -> Void) async throws {
        try await OffCooperativePool.run {
            let daemon = try InProcessDaemon(label)
            defer { daemon.stop() }
            let answers = try pairAnswers(daemon)
            try #require(try daemon.upload("python-qv-r8", as: "c", template: t1).status == 201)
            #expect(try texts(daemon, .chat, model: "c") == [answers["v1"]])
            try body(daemon, answers)
        }
    }

    /// A replace that lands between reading the adapter's chat template and
    /// leasing its weights: the answer is one of the two stored versions
    /// (template and weights alike), never the old template over the new
    /// weights as before.
    @Test(arguments: [false, true])
    func aChatRendersTheTemplateStoredWithTheWeightsItRuns(stream: Bool) async throws {
        try await Self.withPairs("lorad-one-version-template") { daemon, answers in
            let replace = OnceHook { try daemon.replaceNow("c", with: "upper-all-r4", template: Self.t2) }
            daemon.service.seams.set(.chatTemplateRead) { replace() }
            let got = try #require(try Self.texts(daemon, .chat, model: "c", stream: stream).first)
            daemon.service.seams.set(.chatTemplateRead, nil)
            #expect(replace.ran && replace.error == nil, "\(replace.error ?? "the replace never ran")")
            let pair = answers.first { $0.value == got }?.key ?? "no pair"
            #expect(pair == "v1" || pair == "v2", "answered by \(pair): \(got)")
            #expect(try Self.texts(daemon, .chat, model: "c") == [answers["v2"]])
            #expect(Self.leasesEnd(daemon), "\(daemon.service.cache.stats.inUseBytes) bytes still leased")
        }
    }

    /// A chat that comes between a replace's commit and its invalidation of
    /// the cached copy (the replace's task not run on yet): the registry
    /// holds the new template, the cache the old weights. The chat drops the
    /// stale copy and runs the stored version whole; before, it rendered the
    /// new template over the old weights. Likewise after a delete's commit:
    /// 404, not the deleted weights.
    @Test func aChatBeforeAReplacesInvalidationRunsTheStoredVersion() async throws {
        try await Self.withPairs("lorad-one-version-stale") { daemon, answers in
            try daemon.replaceNow("c", with: "upper-all-r4", template: Self.t2, invalidating: false)
            let got = try #require(try Self.texts(daemon, .chat, model: "c").first)
            let pair = answers.first { $0.value == got }?.key ?? "no pair"
            #expect(pair == "v2", "answered by \(pair): \(got)")
            daemon.service.cache.invalidate("c")   // the replace's own, late
            #expect(try Self.texts(daemon, .chat, model: "c") == [answers["v2"]])

            _ = try daemon.service.registry.delete(named: "c")
            let deleted = try Self.post(daemon, .chat, model: "c")
            #expect(deleted.status == 404, "\(deleted.status) \(deleted.text)")
            #expect(Self.leasesEnd(daemon), "\(daemon.service.cache.stats.inUseBytes) bytes still leased")
        }
    }

    /// A replace between the template and the lease on every attempt: after
    /// a few the chat is refused with 503 (retry) rather than answered from
    /// a pair never stored, and holds no lease; the next chat is answered.
    @Test func aChatThatEveryAttemptMeetsAReplaceIsRefusedWithRetry() async throws {
        try await Self.withPairs("lorad-one-version-retries") { daemon, answers in
            let flips = Mutex(0)
            daemon.service.seams.set(.chatTemplateRead) {
                let odd = flips.withLock { n in defer { n += 1 }; return n % 2 == 0 }
                try? daemon.replaceNow("c", with: odd ? "upper-all-r4" : "python-qv-r8", template: odd ? Self.t2 : Self.t1)
            }
            let refused = try Self.post(daemon, .chat, model: "c")
            daemon.service.seams.set(.chatTemplateRead, nil)
            #expect(refused.status == 503, "\(refused.status) \(refused.text)")
            #expect(refused.errorMessage?.contains("replaced") == true, "\(refused.text)")
            #expect(flips.withLock { $0 } > 1)
            #expect(daemon.service.cache.stats.inUseBytes == 0)
            let now = try #require(try Self.texts(daemon, .chat, model: "c").first)
            #expect(now == answers["v1"] || now == answers["v2"])
        }
    }

    /// A request refused once its adapter is leased — the queue filled up
    /// between its lease and its queueing — leaves nothing leased: none of
    /// its choices was queued, and the lease ended with the refusal.
    @Test func aRequestRefusedAfterItsLeaseReleasesIt() async throws {
        try await OffCooperativePool.run {
            let daemon = try InProcessDaemon("lorad-one-version-refused") { $0.maxBatch = 1; $0.maxQueue = 3 }
            defer { daemon.stop() }
            try #require(try daemon.upload("python-qv-r8", as: "a").status == 201)
            let engine = daemon.service.engine
            let tokens = daemon.service.tokenizer.encode(Self.prompts[0])
            let long = GenerationRequest(promptTokens: tokens, maxTokens: 400, stopTokenIDs: [])
            // The one batch slot taken, on the base (no lease).
            var others = [try engine.submit(long) { _ in }]
            defer { for h in others { h.cancel() } }
            let deadline = Date().addingTimeInterval(60)
            while engine.stats.queued != 0 && Date() < deadline { Thread.sleep(forTimeInterval: 0.002) }
            try #require(engine.stats.running == 1)

            // Two of the three queue slots go between the lease and the queueing.
            let filled = Mutex<[GenerationHandle]>([])
            let fill = OnceHook {
                let handles = [try engine.submit(long) { _ in }, try engine.submit(long) { _ in }]
                filled.withLock { $0 = handles }
            }
            daemon.service.seams.set(.adaptersLeased) { fill() }
            let refused = try Self.post(daemon, .completions, model: "a", n: 2)
            daemon.service.seams.set(.adaptersLeased, nil)
            others += filled.withLock { $0 }
            #expect(fill.ran && fill.error == nil, "\(fill.error ?? "never filled")")
            #expect(refused.status == 503, "\(refused.status) \(refused.text)")
            #expect(daemon.service.cache.stats.inUseBytes == 0, "the refused request's lease is released")
            #expect(daemon.service.cache.leaseCount("a") == 0)
            #expect(engine.stats.queued == 2, "none of its choices was queued")
        }
    }
}
