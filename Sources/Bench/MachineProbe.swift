import Dispatch
import Foundation
import Kernels

/// Measures this machine's ceilings in the same run as the model benchmarks,
/// so every reported ratio compares numbers taken under the same load
/// (these machines are shared and noisy).
enum MachineProbe {
    /// Which pages a probe buffer sits on.
    enum Pages {
        /// 4 KiB pages: what an unadvised allocation gets under Linux's
        /// default transparent-huge-page mode, `madvise`. Reported beside
        /// the bound: one way two probes of the same machine disagree.
        case small
        /// 2 MiB pages where the kernel grants them (`MADV_HUGEPAGE`), as
        /// the weights get them (`WeightArena`): fewer TLB misses, a faster
        /// read (1.04–1.35× on an AMD EPYC Zen 3). The bound `lorad bench`
        /// divides by.
        case huge
    }

    /// Read bandwidth in bytes/s: the pool's threads (the decode threads)
    /// each sum their slice of a 1 GiB buffer with `ReadProbe.sum`; best of
    /// `repeats`. Every page is written before timing: reading memory never
    /// written maps the kernel's shared zero page, and such a "read" of
    /// 1 GiB comes from one cached 4 KiB page (measured: 50–130 GB/s here).
    static func readBandwidth(bytes: Int = 1 << 30, pool: ComputePool, pages: Pages, repeats: Int = 5) -> Double {
        guard let region = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
              region != MAP_FAILED else { return 0 }
        defer { munmap(region, bytes) }
        if pages == .huge { _ = madvise(region, bytes, MADV_HUGEPAGE) }
        memset(region, 1, bytes)   // 0x01010101: a normal float, every page faulted in
        let count = bytes / MemoryLayout<Float>.size
        let source = UnsafePointer(region.bindMemory(to: Float.self, capacity: count))
        let parts = pool.threadCount
        let sink = UnsafeMutablePointer<Float>.allocate(capacity: parts)
        defer { sink.deallocate() }
        // Each part reads its own slice and writes its own sink slot.
        nonisolated(unsafe) let (p, results) = (source, sink)
        var best = 0.0
        for _ in 0..<repeats {
            let start = ContinuousClock.now
            pool.run(parts: parts) { part in
                let lo = count * part / parts, hi = count * (part + 1) / parts
                results[part] = ReadProbe.sum(p + lo, count: hi - lo)
            }
            best = max(best, Double(bytes) / (ContinuousClock.now - start).seconds)
        }
        return best
    }

    /// The probe `lorad bench` used before (kept for comparison): Dispatch
    /// threads summing SIMD16 vectors in the `lorad` target, which is built
    /// for baseline x86-64 (SSE2), not the kernels' AVX2.
    static func dispatchReadBandwidth(bytes: Int = 1 << 30, threads: Int, repeats: Int = 5) -> Double {
        let count = bytes / MemoryLayout<Float>.size
        let buffer = UnsafeMutablePointer<Float>.allocate(capacity: count)
        defer { buffer.deallocate() }
        for i in 0..<count { buffer[i] = Float(i & 7) }   // fault every page in before timing
        var best = 0.0
        let sink = UnsafeMutablePointer<Float>.allocate(capacity: threads)
        defer { sink.deallocate() }
        // Each worker reads its own slice and writes its own sink slot: no
        // shared mutation, so handing the raw pointers to the workers is safe.
        nonisolated(unsafe) let source = buffer, results = sink
        for _ in 0..<repeats {
            let start = ContinuousClock.now
            DispatchQueue.concurrentPerform(iterations: threads) { t in
                let per = count / threads
                results[t] = sum(source + t * per, per)
            }
            let seconds = (ContinuousClock.now - start).seconds
            best = max(best, Double(count * MemoryLayout<Float>.size) / seconds)
        }
        return best
    }

    /// Sum with 4 independent SIMD accumulators so the loop is load-bound, not
    /// add-latency-bound.
    private static func sum(_ p: UnsafePointer<Float>, _ n: Int) -> Float {
        var a0 = SIMD16<Float>(), a1 = SIMD16<Float>(), a2 = SIMD16<Float>(), a3 = SIMD16<Float>()
        let raw = UnsafeRawPointer(p)
        var i = 0
        while i + 64 <= n {
            a0 += raw.loadUnaligned(fromByteOffset: 4 * i, as: SIMD16<Float>.self)
            a1 += raw.loadUnaligned(fromByteOffset: 4 * (i + 16), as: SIMD16<Float>.self)
            a2 += raw.loadUnaligned(fromByteOffset: 4 * (i + 32), as: SIMD16<Float>.self)
            a3 += raw.loadUnaligned(fromByteOffset: 4 * (i + 48), as: SIMD16<Float>.self)
            i += 64
        }
        var s = (a0 + a1 + a2 + a3).sum()
        while i < n { s += p[i]; i += 1 }
        return s
    }

    /// Best sgemm GFLOP/s for C(m,n) = A(m,k)·B(n,k)ᵀ over `repeats` runs.
    static func sgemmGFLOPS(m: Int, n: Int, k: Int, repeats: Int = 5) -> Double {
        let a = [Float](repeating: 0.5, count: m * k)
        let b = [Float](repeating: 0.25, count: n * k)
        var c = [Float](repeating: 0, count: m * n)
        var best = 0.0
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                c.withUnsafeMutableBufferPointer { c in
                    BLAS.gemmABt(m: m, n: n, k: k, a: a.baseAddress!, b: b.baseAddress!, c: c.baseAddress!) // warm-up
                    for _ in 0..<repeats {
                        let start = ContinuousClock.now
                        BLAS.gemmABt(m: m, n: n, k: k, a: a.baseAddress!, b: b.baseAddress!, c: c.baseAddress!)
                        let s = (ContinuousClock.now - start).seconds
                        best = max(best, 2.0 * Double(m) * Double(n) * Double(k) / s / 1e9)
                    }
                }
            }
        }
        return best
    }
}
