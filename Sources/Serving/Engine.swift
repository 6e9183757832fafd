import Foundation
import Llama
import LoRA
import Tokenization

/// The serving core: one thread owns the model and runs steps over a batch
/// of live sequences (continuous batching). Sequences join and leave between
/// steps; every step runs each base matmul once for all of them and each
/// sequence's LoRA deltas grouped by adapter (`LoRABatchPlan`).
///
/// Submitters call `submit` from any thread; events come back on the engine
/// thread. The engine thread is the only thread that starts compute: a
/// step runs either on OpenBLAS (one row, prefill) or on the compute pool
/// (batched decode, `ComputePool.shared`), never both, and both are sized
/// by the one `threads` setting, so nothing oversubscribes the cores (two
/// pools on two cores collapse throughput: 2-thread OpenBLAS beside another
/// busy thread fell to a fraction of its 1-thread speed).
public final class Engine: @unchecked Sendable { // mutable state is guarded by `condition`; `running`/`workspace` are engine-thread only
    public let model: LlamaModel
    public let tokenizer: Tokenizer
    public let adapters: AdapterCache
    public let configuration: EngineConfiguration
    /// prompt + generated tokens at most.
    public let contextLength: Int
    /// Called on the engine thread at least every `idleHeartbeatSeconds` (systemd watchdog).
    private let heartbeat: (@Sendable () -> Void)?

    private let condition = NSCondition()
    private var waiting: [ActiveSequence] = []
    private var betweenSteps: [@Sendable () -> Void] = []
    private var stopping = false
    /// Set by `shutdown(drain: false)`; the engine thread cancels every sequence.
    private var cancelEverything = false
    private var finishedLoop = false
    private var counters = EngineStats()
    private var nextID: UInt64 = 0
    /// Queued requests per adapter name (the keys are `waiting_lora_adapters`).
    private var waitingAdapterCounts: [String: Int] = [:]
    /// FIFO admission under max_batch, the KV budget and max_loras.
    private var admission: AdmissionPolicy

    /// What is live-merged, as the API reports it (read under the lock).
    private var publishedMerge: AdapterSpec?

    // Engine thread only:
    var running: [ActiveSequence] = []
    var mergedLane: MergedLane?
    let workspace = Workspace()
    private var thread: Thread?

    public init(model: LlamaModel, tokenizer: Tokenizer, adapters: AdapterCache,
                configuration: EngineConfiguration = EngineConfiguration(),
                heartbeat: (@Sendable () -> Void)? = nil) {
        self.model = model
        self.tokenizer = tokenizer
        self.adapters = adapters
        self.configuration = configuration
        self.heartbeat = heartbeat
        contextLength = min(configuration.contextLength ?? model.config.maxPositionEmbeddings,
                            model.config.maxPositionEmbeddings)
        admission = AdmissionPolicy(maxBatch: configuration.maxBatch, kvBudgetBytes: configuration.kvCacheBytes,
                                    maxLoras: configuration.maxLoras)
        counters.adaptersChangedAt = Date().timeIntervalSince1970
        // The thread holds the engine until `shutdown` ends its loop. (It
        // held it unowned once: an engine dropped before its thread first ran,
        // as a start-up error after the engine was made does, was then read
        // after being freed.)
        let thread = Thread { [self] in self.loop() }
        thread.name = "lorad-engine"
        thread.stackSize = 8 << 20
        self.thread = thread
        thread.start()
    }

    /// Bytes of KV cache one position takes in every layer (K and V) in
    /// the configured `kvFormat`: what admission reserves per position.
    public var kvBytesPerPosition: Int {
        SequenceState.bytesPerPosition(config: model.config, format: configuration.kvFormat)
    }

    /// Validates and queues a request. Adapters are leased (loaded if needed)
    /// here, on the caller's thread, so a cold load never stalls the engine.
    ///
    /// Throws `EngineError` for a request that can never run or when the
    /// queue is full, and the adapter cache's error when an adapter cannot
    /// be loaded.
    public func submit(_ request: GenerationRequest,
                       onEvent: @escaping @Sendable (GenerationEvent) -> Void) throws -> GenerationHandle {
        // One request, one handle: `submit(_:onEvent:)` returns one per member.
        try submit(try prepare([request])) { _, event in onEvent(event) }[0]
    }

    /// Checks the sequences of one request and resolves their adapters once
    /// (`SequenceGroup`): cheap checks first, then the queue bound, then the
    /// (possibly slow) adapter load, on the caller's thread so a cold load
    /// never stalls the engine. Every sequence must name the same adapters.
    ///
    /// - Parameter lease: the lease to share instead of taking one, for a
    ///   caller that had to know the versions it runs before building the
    ///   requests (the daemon renders an adapter's own chat template of the
    ///   same version); it must be for the requests' spec.
    /// - Throws: `EngineError` for a request that can never run or when the
    ///   queue has no room for all of them; the adapter cache's error when an
    ///   adapter cannot be loaded.
    public func prepare(_ requests: [GenerationRequest], lease given: AdapterLease? = nil) throws -> SequenceGroup {
        guard let spec = requests.first?.adapters else {
            throw EngineError.invalidParameter(name: "prompt", reason: "a request needs at least one sequence")
        }
        guard requests.allSatisfy({ $0.adapters == spec }) else {
            throw EngineError.invalidParameter(name: "adapters", reason: "the sequences of one request share one lease, "
                + "so they must name the same adapters")
        }
        if let given, given.spec != spec {
            throw EngineError.invalidParameter(name: "adapters", reason: "the lease given is for '\(given.spec)', "
                + "the sequences name '\(spec)'")
        }
        let checked = try requests.map(check)
        try refuseUnlessRoom(for: checked.count)
        return SequenceGroup(members: checked, lease: try given ?? adapters.lease(spec))
    }

    /// Queues every sequence of `group` at once, or none: they share its
    /// lease. `onEvent` gets each member's index (its place in the requests
    /// given to `prepare`). Returns one handle per member, in that order.
    ///
    /// - Throws: `EngineError.overloaded` when the queue has no room for all
    ///   of them now, `.shuttingDown`; nothing is queued then, and the lease
    ///   ends with the group.
    public func submit(_ group: SequenceGroup,
                       onEvent: @escaping @Sendable (Int, GenerationEvent) -> Void) throws -> [GenerationHandle] {
        condition.lock()
        defer { condition.unlock() }
        guard !stopping else { throw EngineError.shuttingDown }
        guard waiting.count + group.count <= configuration.maxQueue else {
            counters.rejectedOverloaded += 1
            throw EngineError.overloaded(queued: configuration.maxQueue, retryAfterSeconds: configuration.retryAfterSeconds)
        }
        var handles: [GenerationHandle] = []
        for (i, member) in group.members.enumerated() {
            nextID += 1
            let handle = GenerationHandle(id: nextID)
            let sequence = ActiveSequence(
                handle: handle, request: member.request, onEvent: { onEvent(i, $0) }, lease: group.lease,
                state: model.makeSequence(capacity: member.positions, kvFormat: configuration.kvFormat),
                stopTokenIDs: member.stopTokenIDs, reservedBytes: member.reservedBytes, tokenizer: tokenizer,
                submitted: .now)
            waiting.append(sequence)
            countWaiting(sequence.adapterNames, by: 1)
            handles.append(handle)
        }
        counters.queued = waiting.count
        condition.signal()
        return handles
    }

    /// Refuses (`shuttingDown`, `overloaded`) when `count` more sequences
    /// could not be queued now: checked before an adapter load, so a full
    /// queue costs no cold load.
    private func refuseUnlessRoom(for count: Int) throws {
        condition.lock()
        let full = waiting.count + count > configuration.maxQueue
        if full { counters.rejectedOverloaded += 1 }
        let isStopping = stopping
        condition.unlock()
        if isStopping { throw EngineError.shuttingDown }
        if full { throw EngineError.overloaded(queued: configuration.maxQueue, retryAfterSeconds: configuration.retryAfterSeconds) }
    }

    /// The checks of one request that need no lock and no adapter.
    private func check(_ request: GenerationRequest) throws -> CheckedRequest {
        let vocab = model.config.vocabSize
        guard !request.promptTokens.isEmpty else { throw EngineError.emptyPrompt }
        if let bad = request.promptTokens.first(where: { $0 < 0 || $0 >= vocab }) {
            throw EngineError.invalidToken(id: bad, vocabSize: vocab)
        }
        // A prompt that is only read (max_tokens 0: scoring) may fill the
        // context; one to continue needs a position left.
        guard request.promptTokens.count < contextLength || (request.maxTokens == 0 && request.promptTokens.count == contextLength) else {
            throw EngineError.promptTooLong(tokens: request.promptTokens.count, contextLength: contextLength)
        }
        guard request.maxTokens >= 0 else {
            throw EngineError.invalidParameter(name: "max_tokens", reason: "must be ≥ 0")
        }
        try request.sampling.validate(vocabSize: vocab)
        let stopIDs = (request.stopTokenIDs ?? Set(model.config.eosTokenIDs)).union(request.extraStopTokenIDs)
        if let allowed = request.sampling.allowedTokenIDs, request.minTokens > 0, allowed.isSubset(of: stopIDs) {
            throw EngineError.invalidParameter(name: "allowed_token_ids", reason: "every allowed token ends the output, "
                + "so min_tokens \(request.minTokens) can never be met")
        }
        guard request.minTokens >= 0 else { throw EngineError.invalidParameter(name: "min_tokens", reason: "must be ≥ 0") }
        if let bad = request.extraStopTokenIDs.filter({ !(0..<vocab).contains($0) }).min() {
            throw EngineError.invalidParameter(name: "stop_token_ids", reason: "token id \(bad) is outside the vocabulary (0..<\(vocab))")
        }
        for n in [request.logprobs, request.promptLogprobs].compactMap({ $0 }) where !(0...20).contains(n) {
            throw EngineError.invalidParameter(name: "logprobs", reason: "must be between 0 and 20")
        }
        // A request over max_loras could never be admitted.
        let distinctAdapters = Set(request.adapters.terms.map(\.name)).count
        guard distinctAdapters <= configuration.maxLoras else {
            throw EngineError.tooManyAdapters(count: distinctAdapters, maxLoras: configuration.maxLoras)
        }
        // max_tokens is an upper bound, clamped to what the context leaves
        // (no arithmetic on the untrusted value: Int.max must not overflow).
        let positions = request.promptTokens.count + min(request.maxTokens, contextLength - request.promptTokens.count)
        let reserved = positions * kvBytesPerPosition
        guard reserved <= configuration.kvCacheBytes else {
            throw EngineError.exceedsKVBudget(bytes: reserved, budget: configuration.kvCacheBytes)
        }
        return CheckedRequest(request: request, stopTokenIDs: stopIDs, positions: positions, reservedBytes: reserved)
    }

    /// Runs `body` on the engine thread between two steps and waits for it:
    /// no sequence ever sees the model half-changed (live merge uses this).
    public func betweenSteps<T: Sendable>(_ body: @escaping @Sendable () throws -> T) throws -> T {
        let done = DispatchSemaphore(value: 0)
        let box = ResultBox<T>()
        condition.lock()
        betweenSteps.append {
            box.set(Result { try body() })
            done.signal()
        }
        condition.signal()
        condition.unlock()
        done.wait()
        return try box.get()
    }

    /// Stops admitting work. With `drain`, running and queued requests finish
    /// first; without, they are cancelled. Returns when the loop has ended.
    public func shutdown(drain: Bool = true) {
        condition.lock()
        stopping = true
        if !drain { cancelEverything = true }
        condition.broadcast()
        while !finishedLoop { condition.wait() }
        condition.unlock()
    }

    /// The adapter mix currently folded into the base weights, if any.
    public var liveMerged: AdapterSpec? {
        condition.lock()
        defer { condition.unlock() }
        return publishedMerge
    }

    func publishMerged(_ spec: AdapterSpec?) {
        condition.lock()
        publishedMerge = spec
        condition.unlock()
    }

    public var stats: EngineStats {
        condition.lock()
        defer { condition.unlock() }
        return counters
    }

    // MARK: engine thread

    private func loop() {
        while true {
            condition.lock()
            while running.isEmpty && waiting.isEmpty && betweenSteps.isEmpty && !stopping {
                _ = condition.wait(until: Date(timeIntervalSinceNow: configuration.idleHeartbeatSeconds))
                if running.isEmpty && waiting.isEmpty && betweenSteps.isEmpty {
                    condition.unlock()
                    heartbeat?()
                    condition.lock()
                }
            }
            let chores = betweenSteps
            betweenSteps.removeAll()
            if stopping && running.isEmpty && waiting.isEmpty && chores.isEmpty {
                finishedLoop = true
                condition.broadcast()
                condition.unlock()
                return
            }
            admit()
            condition.unlock()

            for chore in chores { chore() }
            heartbeat?()
            if !running.isEmpty { step() }
            // Keep the gauges true after the last sequence leaves too.
            let runningNow = running.count, reservedNow = running.reduce(0) { $0 + $1.reservedBytes }
            let adaptersNow = runningAdapterNames
            condition.lock()
            counters.running = runningNow
            counters.kvReservedBytes = reservedNow
            publishAdapters(running: adaptersNow)
            condition.unlock()
        }
    }

    /// Admission (`AdmissionPolicy`: FIFO under slots, KV and max_loras,
    /// never starving the head). Called with the lock held.
    private func admit() {
        if cancelEverything {
            for s in waiting { s.handle.cancel() }
            for s in running { s.handle.cancel() }
        }
        for head in waiting where head.handle.isCancelled {
            counters.cancelled += 1
            countWaiting(head.adapterNames, by: -1)
            head.onEvent(.finished(head.result(.cancelled)))
        }
        waiting.removeAll { $0.handle.isCancelled }
        var batch = BatchOccupancy()
        for s in running { batch.add(adapters: s.adapterSlots, reservedBytes: s.reservedBytes) }
        let chosen = admission.select(waiting, into: &batch)
        if !chosen.isEmpty {
            for i in chosen {
                running.append(waiting[i])
                countWaiting(waiting[i].adapterNames, by: -1)
            }
            let taken = Set(chosen)
            waiting = waiting.enumerated().filter { !taken.contains($0.offset) }.map(\.element)
        }
        counters.queued = waiting.count
        counters.running = running.count
        counters.kvReservedBytes = batch.reservedBytes
        // Names, not the slots admission counts; the batch only grew if
        // someone was admitted (the loop publishes after each step too).
        if !chosen.isEmpty { publishAdapters(running: runningAdapterNames) }
    }

    /// Adds `delta` to the queued count of each name. Called with the lock held.
    private func countWaiting(_ names: Set<String>, by delta: Int) {
        guard !names.isEmpty else { return }
        var changed = false
        for name in names {
            let n = waitingAdapterCounts[name, default: 0] + delta
            // The update comes first: `changed || …` would skip it once true.
            if n <= 0 {
                let removed = waitingAdapterCounts.removeValue(forKey: name) != nil
                changed = changed || removed
            } else {
                let added = waitingAdapterCounts.updateValue(n, forKey: name) == nil
                changed = changed || added
            }
        }
        if changed {
            counters.waitingAdapters = waitingAdapterCounts.keys.sorted()
            counters.adaptersChangedAt = Date().timeIntervalSince1970
        }
    }

    /// Publishes the running adapters (vLLM's `running_lora_adapters`) and
    /// stamps the time when the set changed. Called with the lock held.
    /// The adapter names the running sequences use (what the metrics show).
    private var runningAdapterNames: Set<String> { Set(running.flatMap(\.adapterNames)) }

    private func publishAdapters(running current: Set<String>) {
        guard current != Set(counters.runningAdapters) else { return }
        counters.runningAdapters = current.sorted()
        counters.adaptersChangedAt = Date().timeIntervalSince1970
    }

    func record(_ update: (inout EngineStats) -> Void) {
        condition.lock()
        update(&counters)
        condition.unlock()
    }
}

/// Carries a between-steps result back to the waiting caller.
private final class ResultBox<T: Sendable>: @unchecked Sendable { // written once before the semaphore signals, read after
    private var result: Result<T, Error>?
    func set(_ r: Result<T, Error>) { result = r }
    func get() throws -> T {
        guard let result else { throw EngineError.shuttingDown }
        return try result.get()
    }
}
