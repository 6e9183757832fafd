import Foundation
import Synchronization
import Llama
import LoRA
import Tokenization
import TestSupport
@testable import Serving

/// The fixture model, tokenizer and adapters, loaded once for all engine tests.
enum EngineHarness {
    static let model = Result { try LlamaModel.load(folder: Fixtures.tinyLlama) }
    /// tiny-llama-bf16, its matrices resident in BF16 (the checkpoint's dtype).
    static let bf16Model = Result { try LlamaModel.load(folder: Fixtures.tinyLlamaBF16) }
    static let tokenizer = Result { try Tokenizer(folder: Fixtures.tinyLlama) }
    static let references = Result { try References.load() }

    static let doraReferences = Result { try References.load(Fixtures.doraReferences) }

    /// A greedy loop written without the engine: the base model's logits
    /// step by step (no adapter), `pick(logits, generated so far)` choosing
    /// each next token — the second computation engine-level sampling rules
    /// are checked against.
    static func stepByStep(prompt: [Int], steps: Int, pick: ([Float], [Int]) throws -> Int) throws -> [Int] {
        let model = try model.get()
        let workspace = Workspace()
        let sequence = model.makeSequence()
        let rows = prompt.indices.map { ForwardRow(sequence: sequence, token: prompt[$0], position: $0,
                                                   needsLogits: $0 == prompt.count - 1) }
        guard var logits = try model.forward(rows, lora: LoRABatchPlan(rows: rows.map { _ in [] }),
                                             workspace: workspace)[prompt.count - 1].map(Array.init) else { return [] }
        var generated: [Int] = []
        while generated.count < steps {
            let next = try pick(logits, generated)
            generated.append(next)
            let step = try model.forward([ForwardRow(sequence: sequence, token: next, position: sequence.length)],
                                         lora: LoRABatchPlan(rows: [[]]), workspace: workspace)
            guard let row = step[0] else { break }
            logits = Array(row)
        }
        return generated
    }

    static let source = FolderAdapterSource(folders: Dictionary(uniqueKeysWithValues:
        (Fixtures.adapterNames + Fixtures.doraAdapterNames).map { ($0, Fixtures.adapter($0)) }))

    /// Validates against the fixture model's linears (DoRA factors against
    /// `base`'s weights, by default the shared model's) and converts to F32.
    static func loader(counting loads: LoadCounter? = nil, base: LlamaWeights? = nil) throws -> AdapterCache.Loader {
        let weights = try base ?? model.get().weights
        return { payload in
            loads?.record(payload.name)
            return try AdapterLoader.load(name: payload.name, configJSON: payload.configJSON,
                                          safetensors: payload.weights, base: weights).adapter
        }
    }

    /// Polls `condition` until it holds; false if it still does not after
    /// `deadline` (a bound for a state that never comes, not a speed limit).
    static func waitUntil(deadline: Duration = .seconds(60), _ condition: () -> Bool) -> Bool {
        let clock = ContinuousClock()
        let end = clock.now + deadline
        while !condition() {
            if clock.now >= end { return false }
            Thread.sleep(forTimeInterval: 0.001)
        }
        return true
    }

    static func engine(_ configuration: EngineConfiguration = EngineConfiguration(),
                       budget: Int = 64 << 20, loads: LoadCounter? = nil, model: LlamaModel? = nil) throws -> Engine {
        let cache = AdapterCache(source: source, budgetBytes: budget, loader: try loader(counting: loads))
        return Engine(model: try model ?? self.model.get(), tokenizer: try tokenizer.get(), adapters: cache,
                      configuration: configuration)
    }
}

/// Collects one request's events; `wait()` blocks until it finishes.
final class Collector: Sendable {
    private let state = Mutex<(tokens: [GeneratedToken], result: GenerationResult?, prompt: [PromptTokenLogprob]?)>(([], nil, nil))
    private let done = DispatchSemaphore(value: 0)
    /// Called after each token (on the engine thread) with the count so far.
    let onToken: (@Sendable (Int) -> Void)?

    init(onToken: (@Sendable (Int) -> Void)? = nil) { self.onToken = onToken }

    var handler: @Sendable (GenerationEvent) -> Void {
        { [self] event in
            switch event {
            case .prompt(let scores):
                state.withLock { $0.prompt = scores }
            case .token(let t):
                let n = state.withLock { s -> Int in s.tokens.append(t); return s.tokens.count }
                onToken?(n)
            case .finished(let r):
                state.withLock { $0.result = r }
                done.signal()
            }
        }
    }

    func wait() -> GenerationResult {
        done.wait()
        done.signal()   // later waits return at once
        return state.withLock { $0.result! }
    }

    var tokens: [GeneratedToken] { state.withLock { $0.tokens } }
    /// The `.prompt` event's scores, if one came.
    var promptScores: [PromptTokenLogprob]? { state.withLock { $0.prompt } }
    var streamedText: String { state.withLock { $0.tokens.map(\.text).joined() } }
}

extension Engine {
    /// Submits and waits.
    func run(_ request: GenerationRequest) throws -> GenerationResult {
        let c = Collector()
        _ = try submit(request, onEvent: c.handler)
        return c.wait()
    }
}

/// Counts adapter loads per name (the loader runs on submitting threads).
final class LoadCounter: Sendable {
    private let counts = Mutex<[String: Int]>([:])
    func record(_ name: String) { counts.withLock { $0[name, default: 0] += 1 } }
    func count(_ name: String) -> Int { counts.withLock { $0[name] ?? 0 } }
}
