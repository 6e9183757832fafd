import Foundation
import LoRA
import SafeTensors
import Testing
import TestSupport

/// `MergePlan.checkValues` (run before a download's first byte) and the
/// finiteness check of `MergePlan.bytes` (every tensor `lorad merge` writes),
/// against the writer's own refusal and against merges computed here.
@Suite struct MergeValueTests {
    static let q0 = LinearID(layer: 0, kind: .q)

    static func plan(_ base: URL, _ uses: [AdapterUse], _ dtype: DType?) throws -> MergePlan {
        try MergePlan(base: try Checkpoint(folder: base), adapters: uses, outputDType: dtype)
    }

    /// A one-module adapter on layer 0's q_proj (128 × 128) with A and B as given.
    static func adapter(rank: Int, a: [Float], b: [Float], scale: Float = 1) -> AdapterUse {
        let module = LoRAModule(rank: rank, inFeatures: 128, outFeatures: 128, scale: scale, a: a, b: b)
        return AdapterUse(LoRAAdapter(name: "synthetic", modules: [q0: module]))
    }

    /// How many values the writer refuses to encode, read from its own message.
    static func writerCount(_ plan: MergePlan, _ tensor: String) -> Int? {
        do {
            _ = try plan.bytes(tensor)
            return 0
        } catch let SafeTensorsError.invalidWriterEntry(name, reason) where name == tensor {
            return reason.split(separator: " ").first.flatMap { Int($0) }
        } catch {
            return nil
        }
    }

    /// tiny-llama with one tensor scaled past F16's range: merged (q_proj,
    /// which python-qv-r8 adapts) or copied (k_proj, which it does not).
    /// As F16 the check refuses it naming the tensor and the count the
    /// writer would refuse; as BF16 or F32 nothing is refused.
    @Test(arguments: ["model.layers.0.self_attn.q_proj.weight", "model.layers.0.self_attn.k_proj.weight"])
    func anF16MergePastItsRangeIsRefusedBeforeAnyByteWithTheWritersCount(loud: String) throws {
        let dir = try Fixtures.temporaryDirectory("lorad-merge-values")
        defer { try? FileManager.default.removeItem(at: dir) }
        try ScaledCheckpoint.write(from: Fixtures.tinyLlama, scaling: loud, by: 1e7, to: dir)
        let python = AdapterUse(try LoRATestSupport.load("python-qv-r8").adapter)
        let plan = try Self.plan(dir, [python], .f16)
        let expected = try #require(Self.writerCount(plan, loud))
        #expect(expected > 0)
        #expect(throws: MergeValueError.outsideOutputRange(tensor: loud, dtype: .f16, values: expected)) { try plan.checkValues() }
        for wide in [DType.bf16, .f32] { try Self.plan(dir, [python], wide).checkValues() }
        try Self.plan(Fixtures.tinyLlama, [python], .f16).checkValues()
    }

    /// A delta that alone overflows F16 (B·A = 300² everywhere) is found
    /// through the bound and counted exactly: every element of the tensor.
    @Test func aDeltaPastF16IsRefusedThoughTheBaseFits() throws {
        let big = Self.adapter(rank: 1, a: [Float](repeating: 300, count: 128), b: [Float](repeating: 300, count: 128))
        let plan = try Self.plan(Fixtures.tinyLlama, [big], .f16)
        #expect(throws: MergeValueError.outsideOutputRange(tensor: Self.q0.weightName, dtype: .f16, values: 128 * 128)) {
            try plan.checkValues()
        }
        #expect(Self.writerCount(plan, Self.q0.weightName) == 128 * 128)
    }

    /// A loose bound refuses nothing by itself: B's rows (c, −c) against
    /// equal rows of A cancel exactly, so W0 + B·A = W0 though the bound
    /// (2c²) is far past F16's range — the check merges and finds it fits,
    /// and the bytes are the base's own, narrowed.
    @Test func aBoundPastTheRangeMergesExactlyBeforeRefusing() throws {
        let c: Float = 300
        let cancelling = Self.adapter(rank: 2, a: [Float](repeating: c, count: 2 * 128),
                                      b: (0..<128).flatMap { _ in [c, -c] })
        let plan = try Self.plan(Fixtures.tinyLlama, [cancelling], .f16)
        try plan.checkValues()
        let w0 = try Checkpoint(folder: Fixtures.tinyLlama).floats(Self.q0.weightName)
        #expect(try plan.bytes(Self.q0.weightName) == SafeTensorsWriter.encode(w0, as: .f16))
    }

    /// A NaN or infinity in the base is a damaged checkpoint: the check
    /// names the tensor, row and column of an adapted linear before any
    /// byte, and `bytes` refuses every tensor holding one, adapted or copied,
    /// so `lorad merge` writes nothing instead of passing it on.
    @Test(arguments: [Float.nan, -Float.infinity])
    func aNonFiniteBaseValueIsRefusedNamingItsPlace(bad: Float) throws {
        let dir = try Fixtures.temporaryDirectory("lorad-merge-nan")
        defer { try? FileManager.default.removeItem(at: dir) }
        let q = Self.q0.weightName, k = "model.layers.1.self_attn.k_proj.weight"
        try ScaledCheckpoint.write(from: Fixtures.tinyLlama, poking: [(q, 3 * 128 + 5, bad), (k, 7, bad)], to: dir)
        let plan = try Self.plan(dir, [AdapterUse(try LoRATestSupport.load("python-qv-r8").adapter)], nil)
        let expected = MergeValueError.nonFiniteBase(tensor: q, shape: [128, 128], index: 3 * 128 + 5)
        #expect(throws: expected) { try plan.checkValues() }
        #expect(expected.description.contains("row 3, column 5"))
        #expect(throws: expected) { _ = try plan.bytes(q) }
        #expect(throws: MergeValueError.nonFiniteBase(tensor: k, shape: [64, 128], index: 7)) { _ = try plan.bytes(k) }
        #expect(throws: MergeValueError.self) { try plan.serialize { _ in } }
    }
}
