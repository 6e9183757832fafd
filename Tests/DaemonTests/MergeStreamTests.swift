import Foundation
import LoRA
import SafeTensors
import Testing
import TestSupport
@testable import Daemon

/// `MergeStream` (the download body of `POST /adapters/NAME/merge`) against
/// `MergePlan.serialize` (what `lorad merge` writes): the same bytes for every
/// base dtype, output dtype and chunk size, including chunks far smaller than
/// a tensor and chunks that end mid-tensor.
@Suite struct MergeStreamTests {
    static func plan(base: URL, dtype: DType?, adapters: [(String, Float)] = [("python-qv-r8", 1)]) throws -> MergePlan {
        let checkpoint = try Checkpoint(folder: base)
        let shapes = AdapterLoader.linearShapes(of: checkpoint)
        let uses = try adapters.map { name, weight in
            AdapterUse(try AdapterLoader.load(name: name, folder: Fixtures.adapter(name), base: shapes).adapter, weight: weight)
        }
        return try MergePlan(base: checkpoint, adapters: uses, outputDType: dtype)
    }

    static func streamed(_ plan: MergePlan, chunkBytes: Int) throws -> (bytes: [UInt8], largestChunk: Int) {
        let stream = try MergeStream(plan: plan, chunkBytes: chunkBytes, releasesMappedPages: true)
        var out: [UInt8] = []
        var largest = 0
        while let chunk = try stream.next() {
            out += chunk
            largest = max(largest, chunk.count)
        }
        #expect(out.count == stream.byteCount)
        return (out, largest)
    }

    static func serialized(_ plan: MergePlan) throws -> [UInt8] {
        var out: [UInt8] = []
        try plan.serialize { out += $0 }
        return out
    }

    @Test(arguments: [DType?.none, .f32, .bf16, .f16])
    func chunkedStreamEqualsTheSerializedMergeOfTheF32Base(dtype: DType?) throws {
        let plan = try Self.plan(base: Fixtures.tinyLlama, dtype: dtype)
        let expected = try Self.serialized(plan)
        for chunk in [4096, 10_000, 1 << 20] {
            let got = try Self.streamed(plan, chunkBytes: chunk)
            #expect(got.bytes == expected, "dtype \(dtype?.rawValue ?? "checkpoint"), chunk \(chunk)")
        }
    }

    @Test(arguments: [DType?.none, .f32])
    func chunkedStreamEqualsTheSerializedMergeOfTheBF16Base(dtype: DType?) throws {
        let plan = try Self.plan(base: Fixtures.tinyLlamaBF16, dtype: dtype)
        #expect(try Self.streamed(plan, chunkBytes: 6000).bytes == Self.serialized(plan))
    }

    @Test func combinationsStreamTheirWeightedSum() throws {
        let plan = try Self.plan(base: Fixtures.tinyLlama, dtype: nil,
                                 adapters: [("python-qv-r8", 0.7), ("upper-all-r4", 0.3)])
        #expect(try Self.streamed(plan, chunkBytes: 8192).bytes == Self.serialized(plan))
    }

    /// Untouched tensors never come whole: no chunk beyond the limit except
    /// an adapted linear (one (out, in) matrix) or the header.
    @Test func untouchedTensorsComeInBoundedChunks() throws {
        let plan = try Self.plan(base: Fixtures.tinyLlama, dtype: nil)
        let writer = try plan.writer()
        let largestMerged = writer.entries.filter { plan.isMerged($0.name) }.map(\.byteCount).max() ?? 0
        let largestTensor = writer.entries.map(\.byteCount).max() ?? 0
        let limit = 16_384
        #expect(largestTensor > limit)
        let got = try Self.streamed(plan, chunkBytes: limit)
        #expect(got.largestChunk <= max(limit, largestMerged, writer.headerBytes.count))
    }

    /// A merge whose values F16 cannot hold is refused, naming the tensor,
    /// rather than downloaded with infinities in it: tiny-llama with layer
    /// 0's q_proj (which python-qv-r8 adapts) or k_proj (which it does not,
    /// so it is re-encoded chunk by chunk) scaled past ±65504, written as
    /// F16 — by `lorad merge`'s serializer and by the download stream alike.
    /// The unscaled base merges to F16 without complaint.
    @Test(arguments: ["model.layers.0.self_attn.q_proj.weight", "model.layers.0.self_attn.k_proj.weight"])
    func aMergeF16CannotHoldIsRefusedNamingTheTensor(loud: String) throws {
        let dir = try Fixtures.temporaryDirectory("lorad-merge-range")
        defer { try? FileManager.default.removeItem(at: dir) }
        try ScaledCheckpoint.write(from: Fixtures.tinyLlama, scaling: loud, by: 1e7, to: dir)
        #expect(try Self.plan(base: dir, dtype: .f32).isMerged(loud) == loud.contains("q_proj"))

        let plan = try Self.plan(base: dir, dtype: .f16)
        for attempt in ["serialize", "stream"] {
            let error = #expect(throws: SafeTensorsError.self, "\(attempt)") {
                if attempt == "serialize" { _ = try Self.serialized(plan) } else { _ = try Self.streamed(plan, chunkBytes: 4096) }
            }
            guard case let .invalidWriterEntry(tensor, reason)? = error else { continue }
            #expect(tensor == loud && reason.contains("65504"), "\(attempt): \(reason)")
        }
        _ = try Self.serialized(Self.plan(base: Fixtures.tinyLlama, dtype: .f16))
    }
}
