import Foundation
import Kernels

// The filtering half of sampling, without sorting the vocabulary.
//
// The order is vLLM's (its sampler: temperature, then the argmax-invariant
// logits processors such as min-p, then top-k and top-p); without min-p it
// is transformers' order too. The rules, restated so that only the top of
// the distribution has to be ordered:
// - min-p (vLLM's MinPLogitsProcessor) removes every token whose
//   probability is below min_p × the largest probability. The ratio of two
//   probabilities is exp(score difference), so this is a threshold on
//   scores relative to the maximum, with no softmax over the vocabulary.
// - TopKLogitsWarper removes every score < the k-th largest score (ties at
//   the k-th value survive). The k-th largest comes from a k-entry min-heap.
// - TopPLogitsWarper sorts ascending, takes the cumulative softmax c_i and
//   removes tokens with c_i ≤ 1 - top_p, always keeping the most likely one.
//   c_i is the total minus the mass of the tokens ranked above token i, so
//   the kept tokens are a prefix of the descending order, and only that
//   prefix needs sorting.
// Ties are ordered as the ascending stable sort orders them (the lower
// token id counts as less likely), so the same tokens survive.

extension Sampler {
    /// Tokens surviving temperature → min-p → top-k → top-p, in ascending id
    /// order, with their probabilities (the softmax over the survivors).
    static func survivors(_ logits: [Float], _ parameters: SamplingParameters) -> (ids: [Int], probabilities: [Float]) {
        var scores = scaled(logits, parameters)
        if parameters.minP > 0 { dropBelowMinP(&scores, parameters.minP) }
        let topK = parameters.topK > 0 && parameters.topK < scores.count
        let kth = topK ? kthLargest(scores, parameters.topK) : -.infinity
        var ids = scores.indices.filter { scores[$0] >= kth && scores[$0] > -.infinity }
        guard !ids.isEmpty else {
            // Every logit is -inf (or NaN): uniform over the vocabulary, as
            // Softmax does for an all -inf row.
            let n = max(1, logits.count)
            return (Array(0..<logits.count), Array(repeating: 1 / Float(n), count: logits.count))
        }
        if parameters.topP < 1 {
            let probabilities = softmax(scores, over: ids)
            ids = nucleus(ids: ids, probabilities: probabilities, topP: parameters.topP).sorted()
        }
        return (ids, softmax(scores, over: ids))
    }

    /// Sets to -inf every score whose probability is below `minP` × the
    /// largest: p_i / p_max = exp(s_i − s_max), compared in Double. A +inf
    /// maximum keeps only the +inf scores (they take all the mass).
    static func dropBelowMinP(_ scores: inout [Float], _ minP: Float) {
        let top = scores.reduce(-Float.infinity) { $1.isNaN ? $0 : Swift.max($0, $1) }
        guard top > -.infinity else { return }
        let floor = Double(minP)
        for i in scores.indices {
            let ratio = top == .infinity ? (scores[i] == .infinity ? 1 : 0) : Foundation.exp(Double(scores[i] - top))
            if !(ratio >= floor) { scores[i] = -.infinity }
        }
    }

    /// logits ÷ temperature (TemperatureLogitsWarper); unchanged at 1 or for greedy.
    static func scaled(_ logits: [Float], _ parameters: SamplingParameters) -> [Float] {
        guard parameters.temperature > 0, parameters.temperature != 1 else { return logits }
        return logits.map { $0 / parameters.temperature }
    }

    /// softmax(scores[ids]) in the order of `ids` (summed in that order), by
    /// `Softmax.inPlace`: a +inf score (logit ÷ temperature overflowing)
    /// takes all the mass, shared among the +inf scores.
    static func softmax(_ scores: [Float], over ids: [Int]) -> [Float] {
        var out = ids.map { scores[$0] }
        out.withUnsafeMutableBufferPointer { buffer in
            if let base = buffer.baseAddress { Softmax.inPlace(base, count: buffer.count) }
        }
        return out
    }

    /// The k-th largest value (k ≥ 1, k < count), via a k-entry min-heap.
    static func kthLargest(_ values: [Float], _ k: Int) -> Float {
        var heap = MinHeap<Float>(capacity: k)
        for v in values where !v.isNaN { heap.offer(v) { $0 < $1 } }
        return heap.top ?? -.infinity
    }

    /// The nucleus: ids of the most likely tokens, descending, kept while the
    /// ascending cumulative probability at each — the total minus the mass
    /// above it — is > 1 - topP (at least one). Sums in Double: over tens of
    /// thousands of tokens a Float running sum drifts by ~1e-4, enough to
    /// move the cut. Sorts the `limit` most likely candidates and widens ×8
    /// until the cut falls inside them.
    static func nucleus(ids: [Int], probabilities: [Float], topP: Float) -> [Int] {
        // (probability, id) descending; equal probabilities: higher id first.
        func before(_ a: (Float, Int), _ b: (Float, Int)) -> Bool { a.0 > b.0 || (a.0 == b.0 && a.1 > b.1) }
        let total = probabilities.reduce(0.0) { $0 + Double($1) }
        let floor = 1 - Double(topP)
        var limit = 256
        while true {
            let top: [(Float, Int)]
            if limit >= ids.count {
                top = zip(probabilities, ids).sorted(by: before)
            } else {
                var heap = MinHeap<(Float, Int)>(capacity: limit)
                for pair in zip(probabilities, ids) { heap.offer(pair) { before($1, $0) } }
                top = heap.elements.sorted(by: before)
            }
            var above = 0.0
            for (rank, (p, _)) in top.enumerated() {
                if rank > 0, total - above <= floor { return top[..<rank].map(\.1) }
                above += Double(p)
            }
            if limit >= ids.count { return top.map(\.1) }
            limit *= 8
        }
    }
}

/// A bounded heap keeping the `capacity` greatest elements offered; `top` is
/// the least of them. `less` orders elements (a < b: a is "smaller").
struct MinHeap<Element> {
    private(set) var elements: [Element] = []
    let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
        elements.reserveCapacity(capacity)
    }

    var top: Element? { elements.first }

    mutating func offer(_ e: Element, less: (Element, Element) -> Bool) {
        if elements.count < capacity {
            elements.append(e)
            var i = elements.count - 1
            while i > 0 {
                let parent = (i - 1) / 2
                guard less(elements[i], elements[parent]) else { break }
                elements.swapAt(i, parent)
                i = parent
            }
        } else if let least = elements.first, less(least, e) {
            elements[0] = e
            var i = 0
            while true {
                let l = 2 * i + 1, r = l + 1
                var smallest = i
                if l < elements.count, less(elements[l], elements[smallest]) { smallest = l }
                if r < elements.count, less(elements[r], elements[smallest]) { smallest = r }
                if smallest == i { break }
                elements.swapAt(i, smallest)
                i = smallest
            }
        }
    }
}
