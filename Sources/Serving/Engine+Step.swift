import Foundation
import Llama
import LoRA

// One engine step: build the batch (every decoding sequence's next token,
// plus prompt chunks of prefilling sequences up to the per-step budget), run
// the forward pass once, then sample, detokenize and check stop rules per
// sequence. Only the engine thread runs this.
extension Engine {
    func step() {
        // Retire cancelled sequences before spending compute on them.
        for seq in running where seq.handle.isCancelled {
            finish(seq, .cancelled)
        }
        running.removeAll { $0.handle.isCancelled }
        guard !running.isEmpty else { return }

        var rows: [ForwardRow] = []
        var mixes: [[AdapterUse]] = []
        /// (sequence, batch row whose logits it samples from)
        var samplers: [(ActiveSequence, Int)] = []
        /// (sequence, batch row, prompt index the row's logits score)
        var scorers: [(ActiveSequence, Int, Int)] = []
        var prefillBudget = configuration.maxPrefillTokensPerStep
        var promptTokensThisStep = 0

        for seq in running {
            let mix = effectiveMix(seq.uses)
            if seq.isPrefilling {
                guard prefillBudget > 0 else { continue }
                let prompt = seq.request.promptTokens
                let end = min(prompt.count, seq.prefilled + prefillBudget)
                let scoresPrompt = seq.request.promptLogprobs != nil
                for i in seq.prefilled..<end {
                    let last = i == prompt.count - 1
                    if last { samplers.append((seq, rows.count)) } else if scoresPrompt { scorers.append((seq, rows.count, i + 1)) }
                    rows.append(ForwardRow(sequence: seq.state, token: prompt[i], position: i, needsLogits: last || scoresPrompt))
                    mixes.append(mix)
                }
                prefillBudget -= end - seq.prefilled
                promptTokensThisStep += end - seq.prefilled
                seq.prefilled = end
            } else if let token = seq.pendingToken {
                samplers.append((seq, rows.count))
                rows.append(ForwardRow(sequence: seq.state, token: token, position: seq.state.length, needsLogits: true))
                mixes.append(mix)
            }
        }
        guard !rows.isEmpty else { return }

        let logits: Logits
        do {
            logits = try model.forward(rows, lora: LoRABatchPlan(rows: mixes), workspace: workspace)
        } catch {
            // A malformed batch is an engine bug, not the requests' fault, but
            // it must not take the daemon down: fail the sequences involved.
            let involved = Set(rows.map { ObjectIdentifier($0.sequence) })
            for seq in running where involved.contains(ObjectIdentifier(seq.state)) {
                finish(seq, .error, error: .engine("\(error)"))
            }
            running.removeAll { involved.contains(ObjectIdentifier($0.state)) }
            return
        }

        var finished: [(ActiveSequence, FinishReason, GenerationFailure?)] = []
        var failed = Set<ObjectIdentifier>()
        for (seq, row, index) in scorers where !failed.contains(ObjectIdentifier(seq)) {
            guard let values = logits[row] else { continue }
            guard Logits.allFinite(values) else {
                failed.insert(ObjectIdentifier(seq))
                finished.append((seq, .error, .nonFiniteLogits(position: index - 1, adapters: seq.request.adapters.description)))
                continue
            }
            seq.promptLogprobs.append(score(seq.request.promptTokens[index], in: values, alternatives: seq.request.promptLogprobs))
        }
        for (seq, row) in samplers where !failed.contains(ObjectIdentifier(seq)) {
            guard let values = logits[row] else { continue }
            // A cache that rounded a finite key or value to infinity no
            // longer holds the model's: end the sequence, whatever the logits.
            guard seq.state.overflowedValues == 0 else {
                finished.append((seq, .error, .kvCacheOverflow(position: seq.state.length,
                                                               format: seq.state.format.rawValue,
                                                               values: seq.state.overflowedValues)))
                continue
            }
            // Non-finite logits (an overflowing adapter weight or merge) end
            // that sequence with an error; the others in the batch go on.
            guard Logits.allFinite(values) else {
                finished.append((seq, .error, .nonFiniteLogits(position: seq.state.length,
                                                               adapters: seq.request.adapters.description)))
                continue
            }
            if seq.generated.isEmpty {
                if seq.request.promptLogprobs != nil { seq.onEvent(.prompt(seq.promptLogprobs)) }
                // max_tokens 0: the prompt is read (and scored), nothing generated.
                if seq.request.maxTokens == 0 {
                    finished.append((seq, .length, nil))
                    continue
                }
            }
            if let reason = accept(seq, logits: values) { finished.append((seq, reason, nil)) }
        }
        for (seq, reason, error) in finished { finish(seq, reason, error: error) }
        let done = Set(finished.map { ObjectIdentifier($0.0) })
        running.removeAll { done.contains(ObjectIdentifier($0)) }

        let batchSize = Set(rows.map { ObjectIdentifier($0.sequence) }).count
        let generatedNow = samplers.count
        record {
            $0.steps += 1
            $0.promptTokens += promptTokensThisStep
            $0.generatedTokens += generatedNow
            $0.batchSizeCounts[batchSize, default: 0] += 1
            $0.running = running.count
            $0.kvReservedBytes = running.reduce(0) { $0 + $1.reservedBytes }
        }
    }

    /// Samples the next token of `seq`, emits its text, and returns a finish
    /// reason if the sequence is done.
    private func accept(_ seq: ActiveSequence, logits: ArraySlice<Float>) -> FinishReason? {
        let token = seq.sampler.sample(logits)
        if seq.firstToken == nil { seq.firstToken = .now }
        seq.generated.append(token)

        if seq.stopTokenIDs.contains(token) && !seq.request.includeStopInOutput {
            // EOS ends the sequence and, like OpenAI and vLLM, is not part of
            // the text; it is one of the completion's tokens, though (usage
            // counts it), so with logprobs it gets its entry as vLLM gives it.
            if seq.request.logprobs != nil {
                let (logprob, top) = logprobs(of: token, in: logits, alternatives: seq.request.logprobs)
                seq.onEvent(.token(GeneratedToken(id: token, text: "", logprob: logprob, topLogprobs: top)))
            }
            return .stop
        }
        let (logprob, top) = logprobs(of: token, in: logits, alternatives: seq.request.logprobs)
        let piece = seq.decoder.push(token)
        // vLLM's min_tokens: stop strings are looked for only from the token
        // after the first min_tokens on (text before that is final).
        let (emit, stopped) = seq.generated.count <= seq.request.minTokens ? (piece, false) : seq.stopMatcher.push(piece)
        if seq.stopTokenIDs.contains(token) {
            // A stop token with include_stop_str_in_output: its text (if
            // any) is the text's last piece.
            seq.text += emit
            seq.onEvent(.token(GeneratedToken(id: token, text: emit, logprob: logprob, topLogprobs: top)))
            if stopped { seq.stoppedByString = true }
            return .stop
        }
        seq.text += emit
        seq.onEvent(.token(GeneratedToken(id: token, text: emit, logprob: logprob, topLogprobs: top)))
        if stopped {
            seq.stoppedByString = true
            return .stop
        }
        seq.pendingToken = token
        if seq.generated.count >= seq.request.maxTokens { return .length }
        if seq.state.length + 1 >= seq.state.capacity { return .length }
        return nil
    }

    /// Flushes held-back text (unless a stop string ended it) and reports the result.
    func finish(_ seq: ActiveSequence, _ reason: FinishReason, error: GenerationFailure? = nil) {
        if reason == .length || (reason == .stop && !seq.stoppedByString) {
            let tail = seq.stopMatcher.push(seq.decoder.finish())
            var rest = tail.emit
            if !tail.stopped { rest += seq.stopMatcher.finish() }
            if !rest.isEmpty {
                seq.text += rest
                seq.onEvent(.token(GeneratedToken(id: -1, text: rest, logprob: nil, topLogprobs: [])))
            }
        }
        let result = seq.result(reason, error: error)
        record {
            switch reason {
            case .cancelled: $0.cancelled += 1
            case .error: $0.failed += 1
            case .stop, .length: $0.completed += 1
            }
            if seq.state.overflowedValues > 0 { $0.kvOverflowedSequences += 1 }
        }
        seq.onEvent(.finished(result))
    }

    /// A prompt token's score at the position `logits` predicts: its
    /// log-probability, rank and the top `alternatives` (raw, as `logprobs`).
    private func score(_ token: Int, in logits: ArraySlice<Float>, alternatives: Int?) -> PromptTokenLogprob {
        let (logprob, top) = logprobs(of: token, in: logits, alternatives: alternatives ?? 0)
        let own = logits[logits.startIndex + token]
        let rank = 1 + logits.reduce(0) { $0 + ($1 > own ? 1 : 0) }
        return PromptTokenLogprob(id: token, logprob: logprob ?? 0, rank: rank, topLogprobs: top)
    }

    /// log-softmax of the chosen token and the top `alternatives`, under the
    /// model's own distribution — before `logit_bias`, the penalties,
    /// temperature, top-k and top-p — as OpenAI's `logprobs` and vLLM's
    /// (its default `logprobs_mode`, `raw_logprobs`) report. `logits` is the
    /// model's row: the sampler adjusts its own copy.
    private func logprobs(of token: Int, in logits: ArraySlice<Float>, alternatives: Int?)
        -> (Float?, [(id: Int, logprob: Float)]) {
        guard let alternatives else { return (nil, []) }
        let maxLogit = logits.max() ?? 0
        var sum: Double = 0
        for v in logits { sum += Double(Foundation.exp(v - maxLogit)) }
        let logZ = Float(Foundation.log(sum)) + maxLogit
        let base = logits.startIndex
        let chosen = logits[base + token] - logZ
        guard alternatives > 0 else { return (chosen, []) }
        // Partial selection of the k largest.
        var top: [(id: Int, logprob: Float)] = []
        for (i, v) in logits.enumerated() {
            if top.count < alternatives {
                top.append((i, v))
                if top.count == alternatives { top.sort { $0.logprob > $1.logprob } }
            } else if v > top[alternatives - 1].logprob {
                top[alternatives - 1] = (i, v)
                var j = alternatives - 1
                while j > 0 && top[j].logprob > top[j - 1].logprob { top.swapAt(j, j - 1); j -= 1 }
            }
        }
        top.sort { $0.logprob > $1.logprob }
        return (chosen, top.map { ($0.id, $0.logprob - logZ) })
    }
}
