import Foundation
import Testing
import TestSupport
import Kernels
@testable import Llama

@Suite struct WeightArenaTests {
    /// Buffers of every size class — many small ones that fill a chunk and
    /// spill into the next, and ones over half a chunk that get their own —
    /// each filled with its own pattern after all are carved: if any two
    /// overlapped, a later fill would show in an earlier buffer.
    @Test(arguments: [WeightPages.huge, .small])
    func carvedBuffersAreAlignedZeroedAndDisjoint(pages: WeightPages) {
        let arena = WeightArena(pages: pages)
        let chunk = WeightArena.chunkBytes
        var sizes: [Int] = []
        for i in 0..<40 { sizes.append(5 * chunk / 40 / 4 + i) }        // ~5 chunks of odd float counts
        sizes += [chunk / 4 / 2 + 1, chunk / 4 + 7, 3, chunk / 4 / 2]   // just over half, over a whole, tiny, exactly half
        let buffers = sizes.map { WeightBuffer(count: $0, format: .f32, arena: arena) }
        for b in buffers {
            #expect(Int(bitPattern: b.raw) % 64 == 0)
            #expect(b.values.allSatisfy { $0 == 0 })
        }
        for (i, b) in buffers.enumerated() {
            b.store([Float](repeating: Float(i + 1), count: b.count), at: 0)
        }
        for (i, b) in buffers.enumerated() {
            #expect(b.values.allSatisfy { $0 == Float(i + 1) }, "buffer \(i) of \(b.count) floats was overwritten")
        }
        let bytes = buffers.map { (Int(bitPattern: $0.raw), $0.byteCount) }.sorted { $0.0 < $1.0 }
        for (a, b) in zip(bytes, bytes.dropFirst()) { #expect(a.0 + a.1 <= b.0) }
    }

    /// The pages hold the same bytes, so the model computes the same thing:
    /// compared bit for bit with the same checkpoint on ordinary pages.
    @Test(arguments: [WeightFormat.f32, .bf16])
    func weightsOnHugePagesComputeExactlyWhatOrdinaryPagesDo(format: WeightFormat) throws {
        let huge = try LlamaModel.load(folder: Fixtures.tinyLlama, weightsFormat: format, pages: .huge)
        let small = try LlamaModel.load(folder: Fixtures.tinyLlama, weightsFormat: format, pages: .small)
        #expect(huge.weights.checksum() == small.weights.checksum())
        let prompt = [1, 415, 293, 906, 285, 1142, 2047]
        let a = try greedy(huge, prompt: prompt, maxNew: 12, eos: -1)
        let b = try greedy(small, prompt: prompt, maxNew: 12, eos: -1)
        #expect(a.generated == b.generated)
        #expect(a.lastLogits == b.lastLogits)
    }
}
