import Foundation
import Testing
import TestSupport
import SafeTensors
import Kernels
@testable import Llama
import LoRA

/// Greedy generation the way transformers' `generate(do_sample=False)` does
/// it: argmax of the last position, stop after `maxNew` tokens or at eos
/// (which is then the last id). `lora` applies adapters unmerged on every row,
/// as `PeftModel.generate` does.
func greedy(_ model: LlamaModel, prompt: [Int], maxNew: Int, eos: Int,
            lora: [AdapterUse] = []) throws -> (lastLogits: [Float], generated: [Int]) {
    let ws = Workspace()
    let seq = model.makeSequence()
    let rows = prompt.indices.map { ForwardRow(sequence: seq, token: prompt[$0], position: $0,
                                               needsLogits: $0 == prompt.count - 1) }
    let plan = LoRABatchPlan(rows: Array(repeating: lora, count: rows.count))
    var logits = Array(try #require(try model.forward(rows, lora: plan, workspace: ws)[prompt.count - 1]))
    let first = logits
    var generated: [Int] = []
    while generated.count < maxNew {
        let next = VectorMath.argmax(logits)
        generated.append(next)
        if next == eos { break }
        let step = try model.forward([ForwardRow(sequence: seq, token: next, position: seq.length)],
                                     lora: LoRABatchPlan(rows: [lora]), workspace: ws)
        logits = Array(try #require(step[0]))
    }
    return (first, generated)
}

/// Loaded once for the suite: the tests only read the models.
private let references = Result { try References.load() }
private let f32Model = Result { try LlamaModel.load(folder: Fixtures.tinyLlama) }
private let bf16Model = Result { try LlamaModel.load(folder: Fixtures.tinyLlamaBF16) }

@Suite struct FidelityTests {
    @Test(arguments: ["english", "python", "unicode", "leading_spaces", "one_token", "long_300", "numbers", "newlines"])
    func f32LogitsAndGreedyTokensMatchTransformers(prompt name: String) throws {
        let refs = try references.get()
        let model = try f32Model.get()
        let prompt = try #require(refs.prompt(name))
        let expected = try #require(refs.variant("base")?.results.first { $0.prompt == name })
        let (logits, generated) = try greedy(model, prompt: prompt.input_ids,
                                             maxNew: refs.generation.max_new_tokens, eos: refs.generation.eos_token_id)
        let diff = maxAbsDiff(logits, expected.last_logits)
        print("fidelity f32 \(name): max abs diff \(diff)")
        #expect(diff < 1e-3)
        #expect(VectorMath.argmax(logits) == expected.last_logits_argmax)
        #expect(generated == expected.generated_ids)
    }

    /// The PEFT `merge_and_unload()` checkpoint is just another Llama folder.
    @Test func mergedCheckpointMatchesItsReference() throws {
        let refs = try references.get()
        let model = try LlamaModel.load(folder: Fixtures.mergedPythonQV)
        let variant = try #require(refs.variant("merged-python-qv-r8"))
        for prompt in refs.prompts where ["english", "python", "one_token"].contains(prompt.name) {
            let expected = try #require(variant.results.first { $0.prompt == prompt.name })
            let (logits, generated) = try greedy(model, prompt: prompt.input_ids,
                                                 maxNew: refs.generation.max_new_tokens, eos: refs.generation.eos_token_id)
            #expect(maxAbsDiff(logits, expected.last_logits) < 1e-3)
            #expect(generated == expected.generated_ids)
        }
    }

    /// PEFT's `merge_and_unload()` of a DoRA adapter (W' = g ⊙ (W0 + s·B·A))
    /// is a plain Llama folder too: every prompt, logits within 1e-4.
    @Test func mergedDoRACheckpointMatchesItsReference() throws {
        let refs = try References.load(Fixtures.doraReferences)
        let model = try LlamaModel.load(folder: Fixtures.mergedDoRAQV)
        let variant = try #require(refs.variant("merged-dora-qv-r8"))
        for prompt in refs.prompts {
            let expected = try #require(variant.results.first { $0.prompt == prompt.name })
            let (logits, generated) = try greedy(model, prompt: prompt.input_ids,
                                                 maxNew: refs.generation.max_new_tokens, eos: refs.generation.eos_token_id)
            let diff = maxAbsDiff(logits, expected.last_logits)
            #expect(diff <= 1e-4, "\(prompt.name): max abs diff \(diff)")
            #expect(generated == expected.generated_ids, "\(prompt.name)")
        }
    }

    /// make_fixtures.py ran the bf16 variant in bfloat16 arithmetic
    /// (`from_pretrained(dtype=torch.bfloat16)`), while lorad upcasts the
    /// same bf16 weights exactly and computes in F32 — so the two runs are not
    /// the same computation, and 1e-3 is out of reach. What must hold exactly:
    /// the bf16 checkpoint loads to the very F32 values of the F32 weights
    /// rounded to bf16 (checked here bit for bit through a second model built
    /// that way); and the logits stay within the f32↔bf16 distance the
    /// fixtures measured (observed_tolerances.base_f32_vs_bf16 = 0.22).
    /// Measured: 0.058–0.136 max abs against `base-bf16`; last argmax equal on
    /// all 8 prompts; greedy equal on the 6 prompts whose f32 and bf16
    /// references agree.
    @Test func bf16CheckpointLoadsExactlyAsRoundedF32Weights() throws {
        let bf16 = try bf16Model.get()
        let config = try LlamaConfig(folder: Fixtures.tinyLlama)
        let checkpoint = try Checkpoint(folder: Fixtures.tinyLlama)
        let rounded = try LlamaWeights(config: config) { name in
            guard let info = checkpoint.info(name) else { return nil }
            let values = try checkpoint.floats(name).map {
                FloatConversion.bf16ToFloat(FloatConversion.floatToBF16($0))
            }
            return TensorValues(shape: info.shape, values: values)
        }
        #expect(bf16.config.dtype == "bfloat16")
        #expect(bf16.weights.embedTokens.values == rounded.embedTokens.values)
        for id in rounded.linearShapes.keys.sorted() {
            #expect(bf16.weights.linear(id)!.values == rounded.linear(id)!.values, "\(id)")
        }
        #expect(bf16.weights.lmHead.values == rounded.lmHead.values)
    }

    @Test(arguments: ["english", "python", "unicode", "leading_spaces", "one_token", "long_300", "numbers", "newlines"])
    func bf16LogitsStayWithinTheMeasuredBF16Distance(prompt name: String) throws {
        let refs = try references.get()
        let model = try bf16Model.get()
        let prompt = try #require(refs.prompt(name))
        let expected = try #require(refs.variant("base-bf16")?.results.first { $0.prompt == name })
        let (logits, generated) = try greedy(model, prompt: prompt.input_ids,
                                             maxNew: refs.generation.max_new_tokens, eos: refs.generation.eos_token_id)
        let diff = maxAbsDiff(logits, expected.last_logits)
        print("fidelity bf16 \(name): max abs diff \(diff) vs base-bf16; greedy equal: \(generated == expected.generated_ids)")
        #expect(diff < 0.25)
        #expect(VectorMath.argmax(logits) == expected.last_logits_argmax)
        // Where transformers' own f32 and bf16 runs agree on the continuation,
        // it is not precision-sensitive, and ours (bf16 weights, F32 compute)
        // must agree too. (english and python diverge between those two runs.)
        let f32Generated = try #require(refs.variant("base")?.results.first { $0.prompt == name }).generated_ids
        if f32Generated == expected.generated_ids {
            #expect(generated == expected.generated_ids)
        }
    }
}
