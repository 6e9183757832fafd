import Llama
@testable import LoRA
import Testing
import TestSupport

/// `LoRABatchPlan.apply` against a naive per-row triple loop (the second computation).
@Suite struct BatchPlanTests {
    let python: LoRAAdapter
    let upper: LoRAAdapter
    let rs: LoRAAdapter

    init() throws {
        python = try LoRATestSupport.load("python-qv-r8").adapter
        upper = try LoRATestSupport.load("upper-all-r4").adapter
        rs = try LoRATestSupport.load("rslora-qkvo-r16").adapter
    }

    /// y[row] += Σ w·s·B·(A·x[row]), in double, one row at a time; a DoRA
    /// use at weight −1 divides the row by g first, one at weight 1 multiplies
    /// it by g after every term.
    static func naive(_ mixes: [[AdapterUse]], id: LinearID, x: [Float], inStride: Int,
                      y: [Float], outStride: Int) -> [Float] {
        var out = y
        for (row, mix) in mixes.enumerated() {
            for use in mix where use.weight == -1 {
                guard let g = use.adapter.modules[id]?.doraFactor else { continue }
                for o in g.indices { out[row * outStride + o] = Float(Double(out[row * outStride + o]) / Double(g[o])) }
            }
            for use in mix {
                guard let m = use.adapter.modules[id] else { continue }
                var low = [Double](repeating: 0, count: m.rank)
                for k in 0..<m.rank {
                    for i in 0..<m.inFeatures { low[k] += Double(m.a[k * m.inFeatures + i]) * Double(x[row * inStride + i]) }
                }
                for o in 0..<m.outFeatures {
                    var d = 0.0
                    for k in 0..<m.rank { d += Double(m.b[o * m.rank + k]) * low[k] }
                    out[row * outStride + o] += Float(Double(use.weight) * Double(m.scale) * d)
                }
            }
            for use in mix where use.weight == 1 {
                guard let g = use.adapter.modules[id]?.doraFactor else { continue }
                for o in g.indices { out[row * outStride + o] = Float(Double(out[row * outStride + o]) * Double(g[o])) }
            }
        }
        return out
    }

    /// Runs the plan on fresh x/y with padded strides; returns (ours, naive).
    static func run(_ mixes: [[AdapterUse]], id: LinearID, seed: UInt64 = 1) -> ([Float], [Float]) {
        let shape = LoRATestSupport.tinyLlamaShapes[id]!
        let inStride = shape.inFeatures + 3, outStride = shape.outFeatures + 5
        let x = LoRATestSupport.values(mixes.count * inStride, seed: seed)
        let y0 = LoRATestSupport.values(mixes.count * outStride, seed: seed + 100)
        var y = y0
        let plan = LoRABatchPlan(rows: mixes)
        x.withUnsafeBufferPointer { xp in
            y.withUnsafeMutableBufferPointer { yp in
                plan.apply(to: id, input: xp.baseAddress!, inputStride: inStride,
                           output: yp.baseAddress!, outputStride: outStride, scratch: LoRAScratch())
            }
        }
        return (y, naive(mixes, id: id, x: x, inStride: inStride, y: y0, outStride: outStride))
    }

    static func maxAbsDiff(_ a: [Float], _ b: [Float]) -> Float {
        zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
    }

    @Test(arguments: LinearKind.allCases)
    func mixedBatchEqualsTheNaiveLoop(_ kind: LinearKind) {
        let mixes: [[AdapterUse]] = [
            [],                                                  // base only
            [AdapterUse(python)],
            [AdapterUse(upper)],
            [AdapterUse(rs)],
            [AdapterUse(python)],                                // same adapter, second (non-adjacent) row
            [AdapterUse(python, weight: 0.7), AdapterUse(upper, weight: 0.3)],
            [AdapterUse(upper), AdapterUse(upper, weight: 0.5)], // one adapter twice in a row
            [AdapterUse(rs, weight: 0.25)],
            [AdapterUse(rs, weight: -1)],                        // consecutive with the previous row
            [AdapterUse(python, weight: 0)],                     // zero weight = base
        ]
        for layer in [0, 3] {
            let id = LinearID(layer: layer, kind: kind)
            let (ours, naive) = Self.run(mixes, id: id)
            #expect(Self.maxAbsDiff(ours, naive) <= 1e-5, "\(id)")
        }
    }

    @Test func singleRowsAndLargeGroupsEqualTheNaiveLoop() {
        let id = LinearID(layer: 2, kind: .v)
        let single = Self.run([[AdapterUse(python, weight: 1.5)]], id: id)
        #expect(Self.maxAbsDiff(single.0, single.1) <= 1e-5)
        // A prefill: more consecutive rows on one adapter than the per-row
        // path takes (sgemm straight into y), then rows of another.
        let long = LoRABatchPlan.perRowLimit + 8
        let prefill = Self.run(Array(repeating: [AdapterUse(rs)], count: long) + Array(repeating: [AdapterUse(upper)], count: 3),
                               id: id, seed: 7)
        #expect(Self.maxAbsDiff(prefill.0, prefill.1) <= 1e-5)
        // Two large groups interleaved row by row (gather, sgemm, scatter-add),
        // a combination on every fifth row.
        let interleaved: [[AdapterUse]] = (0..<(2 * long)).map { i in
            i % 5 == 0 ? [AdapterUse(rs, weight: 0.5), AdapterUse(python, weight: 0.5)]
                : [AdapterUse(i % 2 == 0 ? rs : python)]
        }
        let mixed = Self.run(interleaved, id: id, seed: 9)
        #expect(Self.maxAbsDiff(mixed.0, mixed.1) <= 1e-5)
    }

    @Test func baseOnlyRowsAreUntouched() {
        let id = LinearID(layer: 1, kind: .q)
        let (ours, _) = Self.run([[], [AdapterUse(python)], []], id: id)
        let (base, _) = Self.run([[], [], []], id: id)
        let out = LoRATestSupport.tinyLlamaShapes[id]!.outFeatures + 5
        #expect(Array(ours[0..<out]) == Array(base[0..<out]))
        #expect(Array(ours[(2 * out)...]) == Array(base[(2 * out)...]))
        #expect(LoRABatchPlan(rows: [[], [AdapterUse(python, weight: 0)]]).isEmpty)
    }

    @Test func halfWeightEqualsAnAdapterWithHalvedB() {
        let halved = LoRAAdapter(name: "halved", modules: python.modules.mapValues {
            LoRAModule(rank: $0.rank, inFeatures: $0.inFeatures, outFeatures: $0.outFeatures, scale: $0.scale,
                       a: $0.a, b: $0.b.map { $0 * 0.5 })
        })
        let id = LinearID(layer: 1, kind: .v)
        let (weighted, _) = Self.run([[AdapterUse(python, weight: 0.5)], [AdapterUse(python, weight: 0.5)]], id: id)
        let (scaled, _) = Self.run([[AdapterUse(halved)], [AdapterUse(halved)]], id: id)
        #expect(Self.maxAbsDiff(weighted, scaled) <= 1e-6)
        let (base, _) = Self.run([[], []], id: id)
        #expect(Self.maxAbsDiff(weighted, base) > 1e-3)  // the delta is really there
    }

    @Test func unitWeightsSumBothDeltas() {
        let id = LinearID(layer: 0, kind: .q)
        let (both, _) = Self.run([[AdapterUse(python), AdapterUse(rs)]], id: id)
        let (a, _) = Self.run([[AdapterUse(python)]], id: id)
        let (b, _) = Self.run([[AdapterUse(rs)]], id: id)
        let (base, _) = Self.run([[]], id: id)
        let sum = zip(zip(a, b), base).map { $0.0 + $0.1 - $1 }
        #expect(Self.maxAbsDiff(both, sum) <= 1e-5)
    }

    /// DoRA rows (apply: weight 1; undo a live-merged DoRA adapter: weight −1)
    /// next to plain ones, on the per-row path and on the sgemm path.
    @Test func doraRowsAreDividedAndScaledAroundTheirLowRankTerms() throws {
        let base = try AdapterFidelityTests.model.get().weights
        let dora = try AdapterLoader.load(name: "dora-qv-r8", folder: Fixtures.adapter("dora-qv-r8"), base: base).adapter
        let id = LinearID(layer: 1, kind: .v)
        let small: [[AdapterUse]] = [
            [], [AdapterUse(dora)], [AdapterUse(python)], [AdapterUse(dora, weight: -1)],
            [AdapterUse(dora, weight: -1), AdapterUse(python, weight: 0.5)],   // undo a merge, then a plain mix
            [AdapterUse(dora), AdapterUse(rs, weight: -0.5)],                  // a plain merge undone, then DoRA
        ]
        let (ours, naive) = Self.run(small, id: id)
        #expect(Self.maxAbsDiff(ours, naive) <= 1e-5)
        let long = LoRABatchPlan.perRowLimit + 8
        let large = Array(repeating: [AdapterUse(dora)], count: long) + Array(repeating: [AdapterUse(dora, weight: -1)], count: long)
            + (0..<long).map { $0 % 3 == 0 ? [AdapterUse(dora)] : [AdapterUse(dora, weight: -1), AdapterUse(upper)] }
        let (bigOurs, bigNaive) = Self.run(large, id: id, seed: 11)
        #expect(Self.maxAbsDiff(bigOurs, bigNaive) <= 1e-5)
        // Undo then apply gives back the input (W0·x is recovered exactly up to rounding).
        let (roundTrip, _) = Self.run([[AdapterUse(dora, weight: -1)]], id: id)
        let applied = LoRABatchPlan(rows: [[AdapterUse(dora)]])
        var y = roundTrip
        let shape = LoRATestSupport.tinyLlamaShapes[id]!
        let x = LoRATestSupport.values(shape.inFeatures + 3, seed: 1)
        x.withUnsafeBufferPointer { xp in
            y.withUnsafeMutableBufferPointer { yp in
                applied.apply(to: id, input: xp.baseAddress!, inputStride: shape.inFeatures + 3,
                              output: yp.baseAddress!, outputStride: shape.outFeatures + 5, scratch: LoRAScratch())
            }
        }
        let (_, original) = Self.run([[]], id: id)
        #expect(Self.maxAbsDiff(y, original) <= 1e-5)
        #expect(Self.maxAbsDiff(roundTrip, original) > 1e-3)
    }

    @Test func twoDoRATermsOfOneDirectionOnARowAreAProblem() throws {
        let base = try AdapterFidelityTests.model.get().weights
        let a = try AdapterLoader.load(name: "a", folder: Fixtures.adapter("dora-qv-r8"), base: base).adapter
        let b = try AdapterLoader.load(name: "b", folder: Fixtures.adapter("dora-qv-r8"), base: base).adapter
        #expect(LoRABatchPlan(rows: [[AdapterUse(a), AdapterUse(b)]]).problem?.contains("two DoRA") == true)
        #expect(LoRABatchPlan(rows: [[AdapterUse(a, weight: 2)]]).problem?.contains("weight 2") == true)
        #expect(LoRABatchPlan(rows: [[AdapterUse(a), AdapterUse(b, weight: -1)]]).problem == nil)
    }
}
