import Foundation
import Testing
import TestSupport
import SafeTensors
import Kernels
import Llama

private let sixteenBitReferences = Result { try References.load(Fixtures.sixteenBitReferences) }
private let f16Served = Result { try LlamaModel.load(folder: Fixtures.tinyLlamaF16) }
private let bf16Served = Result { try LlamaModel.load(folder: Fixtures.tinyLlamaBF16) }

private let promptNames = ["english", "python", "unicode", "leading_spaces", "one_token", "long_300", "numbers", "newlines"]

/// lorad's resident 16-bit weights against transformers itself
/// (Tests/Fixtures/make_sixteen_bit_references.py): the checkpoints loaded
/// with `from_pretrained(…, dtype=torch.float32)`, i.e. the 16-bit weights
/// widened exactly and every operation in float32 — the computation lorad
/// runs over 16-bit weights kept resident. These references are 0.004–0.019
/// (F16) and 0.03–0.25 (BF16) away from the F32 model's logits, so matching
/// them within 1e-4 tells the 16-bit paths from F32 ones. Measured: 2.9e-6 –
/// 1.5e-5 max abs over the 8 prompts, both formats (AVX2 kernels, Zen 3).
@Suite struct SixteenBitReferenceTests {
    /// Our F16 rounding (round to nearest even, as `weights_dtype = f16` and
    /// `lorad merge --dtype f16` do it) is torch's `.to(torch.float16)` of
    /// the same F32 weights, bit for bit.
    @Test func ourF16RoundingOfTheF32FixtureIsTorchs() throws {
        let f32 = try Checkpoint(folder: Fixtures.tinyLlama), torch = try Checkpoint(folder: Fixtures.tinyLlamaF16)
        #expect(f32.tensorNames.sorted() == torch.tensorNames.sorted())
        for name in f32.tensorNames {
            #expect(torch.info(name)?.dtype == .f16, "\(name)")
            let ours = try f32.floats(name).map(FloatConversion.floatToF16)
            #expect(ours == (try torch.sixteenBitWords(name)), "\(name)")
        }
    }

    @Test(arguments: promptNames)
    func f16CheckpointServedAsF16MatchesTransformersF32Compute(prompt name: String) throws {
        let model = try f16Served.get()
        #expect(model.weights.format == .f16)
        try expectReference("base-f16-f32-compute", model: model, prompt: name)
    }

    @Test(arguments: promptNames)
    func bf16CheckpointServedAsBF16MatchesTransformersF32Compute(prompt name: String) throws {
        let model = try bf16Served.get()
        #expect(model.weights.format == .bf16)
        try expectReference("base-bf16-f32-compute", model: model, prompt: name)
    }

    /// The prompt's last logits within 1e-4 of `variant`'s and the greedy
    /// continuation identical.
    private func expectReference(_ variant: String, model: LlamaModel, prompt name: String) throws {
        let refs = try sixteenBitReferences.get()
        let prompt = try #require(refs.prompt(name))
        let expected = try #require(refs.result(variant, name))
        let (logits, generated) = try greedy(model, prompt: prompt.input_ids, maxNew: refs.generation.max_new_tokens,
                                             eos: refs.generation.eos_token_id)
        let diff = maxAbsDiff(logits, expected.last_logits)
        #expect(diff <= 1e-4, "\(variant) \(name): max abs logit difference \(diff)")
        #expect(generated == expected.generated_ids, "\(variant) \(name)")
    }
}
