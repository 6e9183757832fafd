import SafeTensors

extension MergePlan {
    /// Throws what would otherwise stop a download part-way — after its
    /// status line and Content-Length went out, so the client would only see
    /// a short file: a merged or converted tensor the output dtype cannot
    /// hold, or a base tensor a merge reads that holds NaN or infinity.
    ///
    /// Only F16 output can overflow: BF16 and F32 reach 3.4e38, and a merged
    /// value is bounded far below that (factors within ±65504, scales within
    /// ±10,000, weights within ±100, at most 16 adapters). So the check
    /// reads the bytes of the adapted linears, and for F16 output of a BF16
    /// or F32 checkpoint those of every floating-point tensor (one pass over
    /// the weights). An adapted linear is merged here only when the bound
    /// max|W0| + Σ |w·s| · max_o Σ_k |B[o,k]| · max|A| reaches F16's
    /// overflow, or when a DoRA factor rescales it.
    public func checkValues() throws {
        for name in tensorNames {
            guard let info = base.info(name), info.dtype.isFloatingPoint else { continue }
            let out = dtype(of: info)
            if let id = merged[name] {
                try checkFinite(name, info)
                let largest = try base.withRawBytes(name) { FloatConversion.largestFiniteMagnitude(in: $0, dtype: info.dtype) }
                guard out == .f16, Double(largest) + deltaBound(id) >= Double(FloatConversion.f16OverflowMagnitude)
                        || adapters.contains(where: { $0.isActive && $0.adapter.modules[id]?.isDoRA == true })
                else { continue }
                let past = try floats(name).reduce(0) { $0 + ($1.isFinite && $1.magnitude >= FloatConversion.f16OverflowMagnitude ? 1 : 0) }
                if past > 0 { throw MergeValueError.outsideOutputRange(tensor: name, dtype: out, values: past) }
            } else if out == .f16, info.dtype != .f16 {
                let past = try base.withRawBytes(name) { FloatConversion.countPastF16(in: $0, dtype: info.dtype) }
                if past > 0 { throw MergeValueError.outsideOutputRange(tensor: name, dtype: out, values: past) }
            }
        }
    }

    /// Throws `MergeValueError.nonFiniteBase` when base tensor `name` holds
    /// NaN or infinity: `bytes` passes none on, merged or copied.
    func checkFinite(_ name: String, _ info: TensorInfo) throws {
        try base.withRawBytes(name) { raw in
            if let bad = FloatConversion.firstNonFinite(in: raw, dtype: info.dtype) {
                throw MergeValueError.nonFiniteBase(tensor: name, shape: info.shape, index: bad)
            }
        }
    }

    /// An upper bound on |Σ w·s·B·A| over linear `id`'s elements: for each
    /// use, |w·s| times the largest row sum of |B| (out, r) times the
    /// largest |A| (r, in).
    private func deltaBound(_ id: LinearID) -> Double {
        var bound = 0.0
        for use in adapters where use.weight != 0 {
            guard let m = use.adapter.modules[id], m.rank > 0 else { continue }
            var rowSum = 0.0
            for o in 0..<m.outFeatures {
                var s = 0.0
                for k in 0..<m.rank { s += Double(m.b[o * m.rank + k].magnitude) }
                rowSum = max(rowSum, s)
            }
            let largestA = m.a.reduce(0.0) { max($0, Double($1.magnitude)) }
            bound += Double(use.weight * m.scale).magnitude * rowSum * largestA
        }
        return bound
    }
}
