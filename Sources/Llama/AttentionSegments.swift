/// A batch as attention sees it: single rows (a sequence's only row this
/// step: decode) and runs of consecutive rows of one sequence (prefill
/// chunks). Computed once per forward step; every layer uses it.
struct AttentionSegments {
    /// Batch indices of single rows.
    let singles: [Int]
    /// Batch index ranges of multi-row runs.
    let runs: [Range<Int>]
    /// Positions the longest single row attends to (its score row length).
    let longestSingle: Int
    /// Score scratch `attend` needs, in floats: one row per (single row,
    /// query head), or (run length) × (its sequence length) for the largest
    /// prefill run.
    let scoreScratch: Int
    /// F32 scratch `attend` needs to widen one KV head's keys and values
    /// for sgemm, in floats: 2 × (sequence length) × headDim for the
    /// longest prefill run over a 16-bit cache; 0 when every run is F32.
    let widenScratch: Int

    init(_ batch: [ForwardRow], heads: Int, headDim: Int) {
        var singles: [Int] = [], runs: [Range<Int>] = []
        var start = 0
        while start < batch.count {
            var end = start + 1
            while end < batch.count, batch[end].sequence === batch[start].sequence { end += 1 }
            if end - start == 1 { singles.append(start) } else { runs.append(start..<end) }
            start = end
        }
        self.singles = singles
        self.runs = runs
        longestSingle = singles.reduce(0) { max($0, batch[$1].position + 1) }
        let forRuns = runs.reduce(0) { max($0, $1.count * (batch[$1.upperBound - 1].position + 1)) }
        scoreScratch = max(singles.count * heads * longestSingle, forRuns)
        widenScratch = runs.reduce(0) { longest, run in
            let seq = batch[run.lowerBound].sequence
            return seq.format == .f32 ? longest : max(longest, 2 * (batch[run.upperBound - 1].position + 1) * headDim)
        }
    }
}
