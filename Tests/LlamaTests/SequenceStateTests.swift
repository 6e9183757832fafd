import Kernels
import Testing
@testable import Llama

/// `SequenceState`'s storage as it grows: from the allocator's memory
/// below 2 MiB to its own huge-page mapping (`PageMemory`) and on to a
/// larger mapping, every cached position must keep its keys and values at
/// the place `keys(layer:head:)` / `values(layer:head:)` say.
@Suite struct SequenceStateTests {
    /// 2 layers × 2 KV heads × 64: 2 KiB a position in F32, so the cache
    /// crosses 2 MiB at 1024 positions (F32) or 2048 (16-bit).
    static func config() throws -> LlamaConfig {
        try LlamaConfig(hiddenSize: 128, intermediateSize: 128, numHiddenLayers: 2, numAttentionHeads: 4,
                        numKeyValueHeads: 2, headDim: 64, maxPositionEmbeddings: 4096, vocabSize: 11)
    }

    /// A value every format holds exactly (a multiple of 1/8 below 8), and
    /// a different one for every (K or V, layer, head, position, column).
    static func value(_ kv: Int, _ layer: Int, _ head: Int, _ position: Int, _ d: Int) -> Float {
        Float((kv * 29 + layer * 13 + head * 7 + position * 3 + d) % 64) / 8
    }

    @Test(arguments: WeightFormat.allCases)
    func growingPastTwoMiBKeepsEveryCachedPosition(_ format: WeightFormat) throws {
        let c = try Self.config()
        let seq = SequenceState(config: c, format: format)
        let hd = c.headDim, kvHeads = c.numKeyValueHeads, count = 2600
        var k = [Float](repeating: 0, count: kvHeads * hd), v = k
        for p in 0..<count {
            // As the forward pass does: make room, store every layer, commit.
            seq.reserve(positions: p + 1)
            for layer in 0..<c.numHiddenLayers {
                for h in 0..<kvHeads {
                    for d in 0..<hd {
                        k[h * hd + d] = Self.value(0, layer, h, p, d)
                        v[h * hd + d] = Self.value(1, layer, h, p, d)
                    }
                }
                seq.store(layer: layer, position: p, keys: k, values: v)
            }
            seq.commit(length: p + 1)
        }
        #expect(seq.byteCount >= count * SequenceState.bytesPerPosition(config: c, format: format))
        var widened = [Float](repeating: 0, count: count * hd)
        for layer in 0..<c.numHiddenLayers {
            for h in 0..<kvHeads {
                for (kv, slot) in [seq.keys(layer: layer, head: h), seq.values(layer: layer, head: h)].enumerated() {
                    Widening.toFloat(slot, format: format, into: &widened, count: count * hd)
                    var wrong = 0
                    for p in 0..<count {
                        for d in 0..<hd where widened[p * hd + d] != Self.value(kv, layer, h, p, d) { wrong += 1 }
                    }
                    #expect(wrong == 0, "\(format): \(kv == 0 ? "keys" : "values") of layer \(layer), head \(h)")
                }
            }
        }
    }
}
