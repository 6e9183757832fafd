import Kernels

extension LlamaWeights {
    /// The index of the first NaN or ±infinity in `values`, nil when all are
    /// finite: `VectorMath.allFinite`'s one SIMD pass decides, and only a
    /// tensor that fails it is searched element by element.
    static func firstNonFinite(_ values: [Float]) -> Int? {
        let finite = values.withUnsafeBufferPointer { b in
            b.baseAddress.map { VectorMath.allFinite($0, count: b.count) } ?? true
        }
        return finite ? nil : values.firstIndex { !$0.isFinite }
    }
}
