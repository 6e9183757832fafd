extension LlamaWeights {
    /// The index of the first NaN or ±infinity in `values`, nil when all are
    /// finite. x·0 is 0 for every finite x and NaN otherwise, so one
    /// vectorised pass of sums answers for a block; only a block whose sum is
    /// not 0 is searched element by element.
    static func firstNonFinite(_ values: [Float]) -> Int? {
        values.withUnsafeBufferPointer { buffer -> Int? in
            guard let base = buffer.baseAddress else { return nil }
            let n = buffer.count, block = 4096
            var start = 0
            while start < n {
                let end = min(start + block, n)
                var acc = SIMD8<Float>(repeating: 0)
                var i = start
                while i + 8 <= end {
                    acc += UnsafeRawPointer(base + i).loadUnaligned(as: SIMD8<Float>.self) * 0
                    i += 8
                }
                var tail: Float = 0
                while i < end {
                    tail += base[i] * 0
                    i += 1
                }
                if acc.sum() + tail != 0 {
                    return (start..<end).first { !base[$0].isFinite }
                }
                start = end
            }
            return nil
        }
    }
}
