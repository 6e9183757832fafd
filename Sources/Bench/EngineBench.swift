import Foundation
import Llama
import LoRA
import Serving
import Tokenization

/// Engine-level timings: continuous batching, adapter cache and live merge as
/// the daemon runs them (the engine thread, leases, the step loop).
struct EngineBench {
    let engine: Engine

    /// Adapters held in memory as PEFT files (the registry's payload form).
    struct MemorySource: AdapterSource {
        let payloads: [String: AdapterPayload]
        func payload(of name: String) throws -> AdapterPayload {
            guard let p = payloads[name] else { throw AdapterSourceError.unknownAdapter(name) }
            return p
        }
    }

    /// Aggregate generated tokens/s of `specs.count` concurrent sequences
    /// (one per spec), each generating `tokens` tokens after an 8-token prompt.
    func aggregateTokensPerSecond(specs: [AdapterSpec], tokens: Int) throws -> Double {
        let vocab = engine.model.config.vocabSize
        let group = DispatchGroup()
        let start = ContinuousClock.now
        for (i, spec) in specs.enumerated() {
            group.enter()
            let prompt = (0..<8).map { (i * 131 + $0 * 17 + 1) % vocab }
            _ = try engine.submit(GenerationRequest(promptTokens: prompt, adapters: spec, maxTokens: tokens, stopTokenIDs: [])) { event in
                if case .finished = event { group.leave() }
            }
        }
        group.wait()
        return Double(specs.count * tokens) / (ContinuousClock.now - start).seconds
    }

    /// One sequence's decode rate after its first token (prefill and
    /// submission excluded), best of `repeats`: comparable with the
    /// model-level single-stream number and the bandwidth bound.
    func decodeRate(spec: AdapterSpec, tokens: Int, repeats: Int = 3) throws -> Double {
        let vocab = engine.model.config.vocabSize
        var best = 0.0
        for r in 0..<repeats {
            let done = DispatchSemaphore(value: 0)
            let box = TTFTBox()
            let prompt = (0..<8).map { (r * 31 + $0 * 17 + 1) % vocab }
            _ = try engine.submit(GenerationRequest(promptTokens: prompt, adapters: spec, maxTokens: tokens, stopTokenIDs: [])) { event in
                if case .finished(let result) = event {
                    let decodeSeconds = result.totalSeconds - (result.timeToFirstToken ?? 0)
                    box.value = decodeSeconds > 0 ? Double(result.completionTokens - 1) / decodeSeconds : 0
                    done.signal()
                }
            }
            done.wait()
            best = max(best, box.value)
        }
        return best
    }

    /// Time to first token of a `promptLength`-token prompt, submitted while
    /// `background` other sequences are decoding.
    func timeToFirstToken(promptLength: Int, background: Int, spec: AdapterSpec = .base) throws -> Double {
        let vocab = engine.model.config.vocabSize
        let group = DispatchGroup()
        let handles = try (0..<background).map { i -> GenerationHandle in
            group.enter()
            return try engine.submit(GenerationRequest(promptTokens: [(i * 7 + 1) % vocab], maxTokens: 100_000, stopTokenIDs: [])) { event in
                if case .finished = event { group.leave() }
            }
        }
        if background > 0 { Thread.sleep(forTimeInterval: 0.3) }   // they are decoding now
        let done = DispatchSemaphore(value: 0)
        let ttft = TTFTBox()
        let prompt = (0..<promptLength).map { ($0 * 97 + 5) % vocab }
        _ = try engine.submit(GenerationRequest(promptTokens: prompt, adapters: spec, maxTokens: 1, stopTokenIDs: [])) { event in
            if case .finished(let r) = event { ttft.value = r.timeToFirstToken ?? .nan; done.signal() }
        }
        done.wait()
        for h in handles { h.cancel() }
        group.wait()
        return ttft.value
    }
}

/// A value handed back from the engine thread.
final class TTFTBox: @unchecked Sendable { // written once on the engine thread before a semaphore signal, read after
    var value = 0.0
}
