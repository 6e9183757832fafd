import Foundation
import SafeTensors
import Testing
@testable import Kernels

/// The matrix-vector kernels over F32, BF16 and F16 weights, on every
/// `KernelPath` this CPU has, against a Double reference on the widened
/// weights (`FloatConversion`, the checkpoint reader's exact conversions).
@Suite struct WeightFormatGEMVTests {
    /// Weights of `format` (stored as raw bytes) and their exact F32 values.
    struct Matrix {
        let bytes: [UInt8]
        let values: [Float]

        init(_ source: [Float], format: WeightFormat) {
            switch format {
            case .f32:
                values = source
                bytes = source.withUnsafeBytes { Array($0) }
            case .bf16:
                let bits = source.map(FloatConversion.floatToBF16)
                values = bits.map(FloatConversion.bf16ToFloat)
                bytes = bits.withUnsafeBytes { Array($0) }
            case .f16:
                let bits = source.map(FloatConversion.floatToF16)
                values = bits.map(FloatConversion.f16ToFloat)
                bytes = bits.withUnsafeBytes { Array($0) }
            }
        }
    }

    /// y = x · Wᵀ in Double, and Σ|w·x| per output (the scale of F32 rounding).
    static func reference(rows: Int, out: Int, n: Int, w: [Float], x: [Float]) -> (y: [Double], scale: [Double]) {
        var y = [Double](repeating: 0, count: rows * out), scale = y
        for r in 0..<rows {
            for o in 0..<out {
                var s = 0.0, a = 0.0
                for i in 0..<n {
                    let p = Double(w[o * n + i]) * Double(x[r * n + i])
                    s += p; a += abs(p)
                }
                y[r * out + o] = s; scale[r * out + o] = a
            }
        }
        return (y, scale)
    }

    /// For each row count, fresh inputs through every path against the
    /// Double reference, within 8 units of the F32 accumulation's rounding
    /// (which grows like √n · ε · Σ|w·x|).
    static func expectEveryPathMatchesTheReference(format: WeightFormat, out: Int, n: Int, matrix: Matrix,
                                                   rowCounts: [Int], rng: inout TestRandom) {
        for rows in rowCounts {
            let x = rng.floats(rows * n, scale: 3)
            let (expected, scale) = Self.reference(rows: rows, out: out, n: n, w: matrix.values, x: x)
            for path in KernelPath.available {
                let y = Self.run(path: path, format: format, rows: rows, out: out, n: n, matrix: matrix, x: x)
                let worst = zip(y.indices, y).map { i, v in
                    abs(Double(v) - expected[i]) / (scale[i] * Double(n).squareRoot() * 1.2e-7 + 1e-30)
                }.max() ?? 0
                #expect(worst < 8, "\(path) \(format) rows \(rows) out \(out) n \(n): error \(worst) units")
            }
        }
    }

    /// Runs the kernel with W one element and x one float past an aligned
    /// start (unaligned loads everywhere) and returns y.
    static func run(path: KernelPath, format: WeightFormat, rows: Int, out: Int, n: Int, matrix: Matrix,
                    x: [Float], pool: ComputePool = .serial) -> [Float] {
        unaligned(matrix: matrix, format: format, x: x, rows: rows, out: out) { w, xp, y in
            BatchedGEMV.multiply(rows: rows, out: out, in: n, w: w, format: format, x: xp, y: y, pool: pool, path: path)
        }
    }

    /// `body(w, x, y)` with W one element and x one float past an aligned
    /// start; returns y (rows, out), NaN where body wrote nothing.
    static func unaligned(matrix: Matrix, format: WeightFormat, x: [Float], rows: Int, out: Int,
                          _ body: (UnsafeRawPointer, UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Void) -> [Float] {
        let e = format.byteSize
        let wRaw = UnsafeMutableRawPointer.allocate(byteCount: matrix.bytes.count + 64, alignment: 64)
        defer { wRaw.deallocate() }
        matrix.bytes.withUnsafeBytes { (wRaw + e).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        let xBuffer = UnsafeMutablePointer<Float>.allocate(capacity: x.count + 1)
        defer { xBuffer.deallocate() }
        (xBuffer + 1).update(from: x, count: x.count)
        let y = UnsafeMutablePointer<Float>.allocate(capacity: rows * out)
        defer { y.deallocate() }
        y.initialize(repeating: .nan, count: rows * out)
        body(UnsafeRawPointer(wRaw + e), xBuffer + 1, y)
        return Array(UnsafeBufferPointer(start: y, count: rows * out))
    }

    /// Odd sizes and column tails: n below, at and past the 8- and 16-lane
    /// widths and the 256-column block; out not a multiple of the 3- and
    /// 4-row tiles, and ≥ 256 so the rows split over threads.
    static let shapes: [(out: Int, n: Int)] = [(1, 1), (3, 7), (5, 8), (2, 17), (13, 77), (7, 300), (257, 13)]

    @Test(arguments: WeightFormat.allCases)
    func everyPathMatchesADoubleReferenceForOneToThirtyTwoRows(format: WeightFormat) {
        var rng = TestRandom(40 + UInt64(format.byteSize))
        for (out, n) in Self.shapes {
            let rowCounts = out * n > 2000 ? [1, 2, 3, 4, 5, 8, 9, 16, 31, 32] : Array(1...32)
            let matrix = Matrix(rng.floats(out * n), format: format)
            Self.expectEveryPathMatchesTheReference(format: format, out: out, n: n, matrix: matrix, rowCounts: rowCounts, rng: &rng)
        }
    }

    /// 3–32 rows go to the tiles of 3 weight rows × groups of 4 input rows
    /// over column blocks: every row count (every group size 1–4 in the last
    /// group, 1–8 groups) on a matrix of three column blocks, a 3-column tail
    /// and a partial last tile, every format and path.
    @Test(arguments: WeightFormat.allCases)
    func everyRowCountFromThreeToThirtyTwoMatchesAcrossColumnBlocks(format: WeightFormat) {
        var rng = TestRandom(70 + UInt64(format.byteSize))
        let out = 7, n = 531
        let matrix = Matrix(rng.floats(out * n), format: format)
        Self.expectEveryPathMatchesTheReference(format: format, out: out, n: n, matrix: matrix, rowCounts: Array(3...32), rng: &rng)
    }

    @Test(arguments: WeightFormat.allCases)
    func splittingTheOutputsOverThreadsChangesNoBit(format: WeightFormat) {
        var rng = TestRandom(50)
        let out = 515, n = 296
        let matrix = Matrix(rng.floats(out * n), format: format)
        for rows in [1, 2, 3, 5, 8, 13, 32] {
            let x = rng.floats(rows * n)
            for path in KernelPath.available {
                let one = Self.run(path: path, format: format, rows: rows, out: out, n: n, matrix: matrix, x: x, pool: .serial)
                for pool in BLASTests.pools {
                    let split = Self.run(path: path, format: format, rows: rows, out: out, n: n, matrix: matrix, x: x, pool: pool)
                    #expect(split == one, "\(path) \(format) rows \(rows) on \(pool.threadCount) threads")
                }
            }
        }
    }

    /// The shared path's lanes run one after another in every order, and
    /// only the first one, two, … of them (the others never arriving): each
    /// in turn takes the chunks nobody has reached, so every output is
    /// written (y starts NaN) and to the bit what one thread computes
    /// alone. Outputs: fewer chunks than lanes, chunk-sized, a partial last
    /// chunk, a partial last tile.
    @Test(arguments: WeightFormat.allCases)
    func lanesTakingEachOthersChunksInAnyOrderGiveTheSingleThreadedBits(format: WeightFormat) {
        #if arch(x86_64)
        var rng = TestRandom(80 + UInt64(format.byteSize))
        let n = 83, chunk = BatchedGEMV.chunkRows
        for out in [1, 50, 2 * chunk, 5 * chunk + 7] {
            let matrix = Matrix(rng.floats(out * n), format: format)
            for rows in [BatchedGEMV.sharedMinRows, 9, 32] {
                let x = rng.floats(rows * n)
                let paths = KernelPath.available.filter { $0 != .portable }
                for path in paths {
                    let alone = Self.run(path: path, format: format, rows: rows, out: out, n: n, matrix: matrix, x: x)
                    for lanes in 1...3 {
                        for order in Self.permutations(of: Array(0..<lanes)) {
                            for arriving in 1...lanes {
                                let y = Self.runShared(path: path, format: format, rows: rows, out: out, n: n,
                                                           matrix: matrix, x: x, lanes: lanes,
                                                           order: Array(order.prefix(arriving)))
                                let same = y.withUnsafeBytes { Array($0) } == alone.withUnsafeBytes { Array($0) }
                                #expect(same,
                                        "\(path) \(format) rows \(rows) out \(out) lanes \(order.prefix(arriving)) of \(lanes)")
                            }
                        }
                    }
                }
            }
        }
        #endif
    }

    static func permutations(of items: [Int]) -> [[Int]] {
        guard items.count > 1 else { return [items] }
        return items.indices.flatMap { i in
            var rest = items
            let first = rest.remove(at: i)
            return permutations(of: rest).map { [first] + $0 }
        }
    }

    #if arch(x86_64)
    /// The shared path's lanes called one by one in `order` (W and x
    /// unaligned as in `run`).
    static func runShared(path: KernelPath, format: WeightFormat, rows: Int, out: Int, n: Int, matrix: Matrix,
                          x: [Float], lanes: Int, order: [Int]) -> [Float] {
        var taken = [Int](repeating: 0, count: lanes)
        return unaligned(matrix: matrix, format: format, x: x, rows: rows, out: out) { w, xp, y in
            taken.withUnsafeMutableBufferPointer { counters in
                for lane in order {
                    BatchedGEMV.sharedLane(path: path, format: format, rows: rows, out: out, inFeatures: n, w: w,
                                           x: xp, y: y, chunk: BatchedGEMV.chunkRows, lanes: lanes, lane: lane,
                                           taken: counters.baseAddress!)
                }
            }
        }
    }
    #endif

    @Test func widenedGEMMForPrefillMatchesADoubleReference() {
        var rng = TestRandom(60)
        let rows = 37, out = 29, n = 45
        for format in WeightFormat.allCases {
            let matrix = Matrix(rng.floats(out * n), format: format)
            let x = rng.floats(rows * n, scale: 2)
            let (expected, scale) = Self.reference(rows: rows, out: out, n: n, w: matrix.values, x: x)
            for path in KernelPath.available {
                for panelRows in [1, 7, 256, nil] {
                    var y = [Float](repeating: .nan, count: rows * out)
                    var panel = [Float](repeating: .nan, count: WidenedGEMM.panelCapacity(inFeatures: n, panelRows: panelRows))
                    matrix.bytes.withUnsafeBytes { w in
                        WidenedGEMM.multiply(rows: rows, out: out, in: n, w: w.baseAddress!, format: format, x: x, y: &y,
                                             panel: &panel, panelRows: panelRows, path: path)
                    }
                    let worst = zip(y.indices, y).map { i, v in abs(Double(v) - expected[i]) / (scale[i] * 1e-6 + 1e-30) }.max() ?? 0
                    #expect(worst < 8, "\(path) \(format) panel \(panelRows.map(String.init) ?? "default"): error \(worst)")
                }
            }
        }
    }

    /// The workspace reserves one panel for the model's widest matrix; every
    /// narrower matrix's panel must fit in it, and no panel may go under the
    /// 256 rows that keep sgemm near its speed or over the 1024 that bound it.
    @Test func theWidestMatrixsPanelHoldsEveryNarrowerOne() {
        var previous = 0
        for n in [1, 64, 576, 1536, 2048, 2049, 4864, 8192, 14336, 28672, 1 << 20] {
            let rows = WidenedGEMM.panelRows(inFeatures: n), capacity = WidenedGEMM.panelCapacity(inFeatures: n)
            #expect((256...1024).contains(rows), "\(n) columns: \(rows) rows")
            #expect(rows * n <= capacity, "\(n) columns: \(rows) rows outgrow \(capacity) floats")
            #expect(capacity >= previous, "\(n) columns: \(capacity) floats, under a narrower matrix's \(previous)")
            previous = capacity
        }
    }

    /// Every 16-bit pattern, widened by every path, equals FloatConversion's
    /// widening bit for bit (NaNs: still NaN; vcvtph2ps quiets a signalling one).
    @Test(arguments: [WeightFormat.bf16, .f16])
    func wideningIsExactForEveryBitPattern(format: WeightFormat) {
        let patterns = (0...UInt16.max).map { $0 }
        let expected = patterns.map { format == .bf16 ? FloatConversion.bf16ToFloat($0) : FloatConversion.f16ToFloat($0) }
        for path in KernelPath.available {
            var out = [Float](repeating: 0, count: patterns.count)
            patterns.withUnsafeBytes { Widening.toFloat($0.baseAddress!, format: format, into: &out, count: patterns.count, path: path) }
            let mismatches = zip(out, expected).filter { a, b in a.isNaN ? !b.isNaN : a.bitPattern != b.bitPattern }.count
            #expect(mismatches == 0, "\(path) \(format)")
        }
    }
}

@Suite struct KernelPathTests {
    @Test func aForcedPathIsUsedWhenTheCPUHasIt() {
        let available: [KernelPath] = [.portable, .avx2]
        #expect(KernelPath.choose(requested: "portable", available: available) == .init(path: .portable, refusal: nil))
        #expect(KernelPath.choose(requested: "AVX2", available: available) == .init(path: .avx2, refusal: nil))
        #expect(KernelPath.choose(requested: nil, available: available) == .init(path: .avx2, refusal: nil))
        #expect(KernelPath.choose(requested: "", available: [.portable]) == .init(path: .portable, refusal: nil))
    }

    @Test func aForcedPathTheCPULacksIsRefusedNotRun() {
        let lacking = KernelPath.choose(requested: "avx512", available: [.portable, .avx2])
        #expect(lacking.path == .avx2)
        #expect(lacking.refusal?.contains("lacks") == true)
        let unknown = KernelPath.choose(requested: "sse9", available: [.portable, .avx2])
        #expect(unknown.path == .avx2)
        #expect(unknown.refusal?.contains("sse9") == true)
    }

    @Test func pathsFollowTheFeatureBits() {
        #expect(KernelPath.paths(features: CPUFeatures()) == [.portable])
        #expect(KernelPath.paths(features: CPUFeatures(avx2: true)) == [.portable, .avx2])
        #expect(KernelPath.paths(features: CPUFeatures(avx2: true, avx512: true, avx512BF16: true)) == [.portable, .avx2, .avx512])
        #expect(KernelPath.available.contains(.portable))
        #expect(KernelPath.available.contains(KernelPath.active))
    }

    /// cpuid + XCR0 agree with the kernel's own reading of the CPU
    /// (/proc/cpuinfo's flags, which Linux clears for state it does not save).
    @Test func detectedFeaturesAgreeWithProcCpuinfo() throws {
        #if os(Linux) && arch(x86_64)
        let info = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
        let line = try #require(info.split(separator: "\n").first { $0.hasPrefix("flags") })
        let flags = Set(line.split(separator: ":")[1].split(separator: " ").map(String.init))
        let f = CPUFeatures.detected
        #expect(f.avx2 == flags.isSuperset(of: ["avx2", "fma", "f16c"]))
        #expect(f.avx512 == flags.isSuperset(of: ["avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512vl"]))
        #expect(f.avx512BF16 == (f.avx512 && flags.contains("avx512_bf16")))
        #endif
    }
}
