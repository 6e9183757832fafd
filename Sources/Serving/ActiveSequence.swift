import Llama
import LoRA
import Tokenization

/// Engine-side state of one request from admission to finish. Touched only
/// by the engine thread.
final class ActiveSequence: AdmissionCandidate {
    let handle: GenerationHandle
    let request: GenerationRequest
    let onEvent: @Sendable (GenerationEvent) -> Void
    /// Held for the whole life of the sequence: the adapters cannot be
    /// evicted or freed under it, whatever happens to their names. Shared
    /// with the other sequences of its request (`SequenceGroup`).
    let lease: AdapterLease
    let uses: [AdapterUse]
    /// The distinct adapter names of the request (what the metrics show).
    let adapterNames: Set<String>
    /// The distinct adapter copies it runs (what `max_loras` counts).
    let adapterSlots: Set<String>
    let state: SequenceState
    let stopTokenIDs: Set<Int>
    /// Positions reserved against the KV budget (prompt + max new tokens, clamped).
    let reservedBytes: Int
    let submitted: ContinuousClock.Instant

    var sampler: Sampler
    var decoder: StreamingDecoder
    var stopMatcher: StopMatcher
    /// Index of the next prompt token to prefill.
    var prefilled = 0
    var generated: [Int] = []
    var text = ""
    var firstToken: ContinuousClock.Instant?
    /// The last sampled token: the input of the next decode row.
    var pendingToken: Int?
    /// A stop string ended the text: nothing held back may be emitted.
    var stoppedByString = false
    /// The prompt's scores so far (`request.promptLogprobs`), sent as one
    /// `.prompt` event once the whole prompt is read.
    var promptLogprobs: [PromptTokenLogprob] = []

    init(handle: GenerationHandle, request: GenerationRequest, onEvent: @escaping @Sendable (GenerationEvent) -> Void,
         lease: AdapterLease, state: SequenceState, stopTokenIDs: Set<Int>, reservedBytes: Int,
         tokenizer: Tokenizer, submitted: ContinuousClock.Instant) {
        self.handle = handle
        self.request = request
        self.onEvent = onEvent
        self.lease = lease
        self.uses = lease.uses
        self.adapterNames = Set(request.adapters.terms.map(\.name))
        self.adapterSlots = lease.slots
        self.state = state
        self.stopTokenIDs = stopTokenIDs
        self.reservedBytes = reservedBytes
        self.submitted = submitted
        sampler = Sampler(request.sampling, prompt: request.promptTokens, holdingBack: stopTokenIDs, forFirst: request.minTokens)
        decoder = tokenizer.makeStreamingDecoder(skipSpecialTokens: request.skipSpecialTokens)
        stopMatcher = StopMatcher(stops: request.stop, includingStop: request.includeStopInOutput)
    }

    var admissionID: UInt64 { handle.id }

    var isPrefilling: Bool { prefilled < request.promptTokens.count }

    func result(_ reason: FinishReason, error: GenerationFailure? = nil) -> GenerationResult {
        let now = ContinuousClock.now
        return GenerationResult(
            finishReason: reason, promptTokens: request.promptTokens.count, promptTokensRead: prefilled,
            completionTokens: generated.count, text: text, tokenIDs: generated,
            timeToFirstToken: firstToken.map { ($0 - submitted).seconds },
            totalSeconds: (now - submitted).seconds, error: error)
    }
}
