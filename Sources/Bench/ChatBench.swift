import CLI
import Daemon
import Foundation

/// `lorad-bench chat`: what a chat request costs over a completions request
/// for the same prompt, end to end over HTTP against the in-process daemon
/// (synthesized 135M-shaped model, SmolLM2's ChatML template). The
/// completions request gets the token ids the chat request's prompt renders
/// to (`/tokenize`), so both run the same prefill and the same greedy
/// generation; the difference is parsing the messages, rendering the
/// template, tokenizing the prompt and the chat response shape.
/// Requests alternate (completions, chat, completions, …) so drift in the
/// machine's load falls on both alike; the overhead is the median of the
/// per-pair ratios. On a loaded machine a generation's time varies by far
/// more than 2 %, so the chat-only work is also measured on its own:
/// `/tokenize` with the messages does exactly what a chat request adds
/// (reading the messages, rendering, tokenizing) plus an HTTP round trip a
/// completions request pays too, so its time bounds the overhead from above.
enum ChatBench {
    static let usage = """
    usage: lorad-bench chat [--threads N] [--tokens N] [--pairs N] [--templates DIR]
      --threads N      OpenBLAS threads (default: 2)
      --tokens N       tokens generated per request (default: 64)
      --pairs N        timed completions/chat pairs (default: 8)
      --templates DIR  the chat templates (default: the checkout's Tests/Fixtures/chat-templates/templates)
    """

    static func run(_ args: [String]) throws {
        let a = try Arguments(args, valued: ["threads", "tokens", "pairs", "templates"])
        let threads = try a.int("threads", default: 2, range: 1...256)
        let tokens = try a.int("tokens", default: 64, range: 1...1024)
        let pairs = try a.int("pairs", default: 8, range: 3...1000)
        guard let templates = a.value("templates").map({ URL(fileURLWithPath: $0) }) ?? TemplateBench.defaultDirectory() else {
            throw UsageError.missing("--templates DIR (no checkout's Tests/Fixtures/chat-templates/templates found)")
        }
        let template = templates.appendingPathComponent("HuggingFaceTB-SmolLM2-135M-Instruct.jinja")
        let daemon = try BenchDaemon.start(label: "chat", threads: threads) { configuration, _ in
            configuration.chatTemplate = template.path
        }
        defer { daemon.stop() }
        let client = daemon.client
        var report = BenchReport()
        report.add("model", "SmolLM-135M shape, F32, \(daemon.service.engine.model.config.numHiddenLayers) layers",
                   "in-process daemon on \(daemon.address), SmolLM2 chat template")

        let messages: [[String: Any]] = [
            ["role": "system", "content": "You are a careful assistant who answers with license text."],
            ["role": "user", "content": "What may the licensee do with copies of the software?"],
            ["role": "assistant", "content": "The licensee may copy and distribute verbatim copies."],
            ["role": "user", "content": "And may they change it, provided that"],
        ]
        let tokenized = try client.postJSON("/tokenize", ["messages": messages])
        guard tokenized.status == 200, let ids = (try JSONSerialization.jsonObject(with: Data(tokenized.body)) as? [String: Any])?["tokens"] as? [Int]
        else { throw BenchError.http(tokenized.status, tokenized.text) }

        func timed(_ path: String, _ body: [String: Any]) throws -> Double {
            let start = ContinuousClock.now
            let r = try client.postJSON(path, body)
            let seconds = (ContinuousClock.now - start).seconds
            guard r.status == 200, r.text.contains("\"completion_tokens\": \(tokens),") || r.text.contains("\"completion_tokens\":\(tokens),")
            else { throw BenchError.http(r.status, "expected \(tokens) completion tokens: \(r.text)") }
            return seconds
        }
        let completion: [String: Any] = ["prompt": ids, "max_tokens": tokens, "temperature": 0]
        let chat: [String: Any] = ["messages": messages, "max_tokens": tokens, "temperature": 0]
        for _ in 0..<2 {   // warm both paths
            _ = try timed("/v1/completions", completion)
            _ = try timed("/v1/chat/completions", chat)
        }
        var completions: [Double] = [], chats: [Double] = [], ratios: [Double] = []
        for pair in 0..<pairs {
            // Which request of a pair runs first alternates, so whatever a
            // request leaves behind (caches, sleeping compute threads) does
            // not always favour the same one.
            let c: Double, h: Double
            if pair.isMultiple(of: 2) {
                c = try timed("/v1/completions", completion)
                h = try timed("/v1/chat/completions", chat)
            } else {
                h = try timed("/v1/chat/completions", chat)
                c = try timed("/v1/completions", completion)
            }
            completions.append(c)
            chats.append(h)
            ratios.append(h / c)
        }
        func median(_ v: [Double]) -> Double { v.sorted()[v.count / 2] }
        report.add("prompt", "\(ids.count) tokens", "4 messages rendered by the SmolLM2 template; \(tokens) tokens generated greedily")
        report.add("completions (token-id prompt)", "\(format(median(completions) * 1000, 2)) ms",
                   "median of \(pairs); fastest \(format((completions.min() ?? 0) * 1000, 2)) ms")
        report.add("chat completions (messages)", "\(format(median(chats) * 1000, 2)) ms",
                   "median of \(pairs); fastest \(format((chats.min() ?? 0) * 1000, 2)) ms")
        let overhead = median(ratios) - 1
        report.add("chat/completions − 1, end to end", "\(format(overhead * 100, 2)) %",
                   "median of per-pair ratios (per-pair spread \(format(((ratios.min() ?? 1) - 1) * 100, 1))…\(format(((ratios.max() ?? 1) - 1) * 100, 1)) %)")
        var renders: [Double] = []
        for _ in 0..<200 {
            let start = ContinuousClock.now
            let r = try client.postJSON("/tokenize", ["messages": messages])
            guard r.status == 200 else { throw BenchError.http(r.status, r.text) }
            renders.append((ContinuousClock.now - start).seconds)
        }
        let bound = median(renders) / median(completions)
        report.add("chat-only work: POST /tokenize with the messages", "\(format(median(renders) * 1e6, 1)) µs",
                   "median of 200 round trips (fastest \(format((renders.min() ?? 0) * 1e6, 1)) µs); "
                   + "\(format(bound * 100, 3)) % of the completions median, an upper bound of the overhead; "
                   + "target ≤ 2 %: \(bound <= 0.02 ? "met" : "NOT met")")
        print(report.markdown)
    }
}
