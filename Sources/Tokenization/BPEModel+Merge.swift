extension BPEModel {
    /// Applies merges in tokenizers' order (bpe/word.rs `merge_all`): a
    /// min-heap on (rank, position); stale entries are skipped when popped.
    func applyMerges(_ ids: inout [Int]) {
        let n = ids.count
        if n < 2 { return }
        var symbol = ids
        var prev = [Int](repeating: -1, count: n)
        var next = [Int](repeating: -1, count: n)
        var alive = [Bool](repeating: true, count: n)
        for i in 0..<n {
            prev[i] = i - 1
            next[i] = i + 1 < n ? i + 1 : -1
        }
        var heap = MergeHeap()
        for i in 0..<(n - 1) {
            if let m = merges[Self.key(symbol[i], symbol[i + 1])] {
                heap.push(.init(rank: m.rank, pos: Int32(i), newId: m.newId))
            }
        }
        while let top = heap.pop() {
            let pos = Int(top.pos)
            guard alive[pos], next[pos] != -1 else { continue }
            let right = next[pos]
            guard let m = merges[Self.key(symbol[pos], symbol[right])], m.newId == top.newId else { continue }
            symbol[pos] = Int(top.newId)
            alive[right] = false
            next[pos] = next[right]
            if next[pos] != -1 { prev[next[pos]] = pos }
            if prev[pos] != -1, let m = merges[Self.key(symbol[prev[pos]], symbol[pos])] {
                heap.push(.init(rank: m.rank, pos: Int32(prev[pos]), newId: m.newId))
            }
            if next[pos] != -1, let m = merges[Self.key(symbol[pos], symbol[next[pos]])] {
                heap.push(.init(rank: m.rank, pos: Int32(pos), newId: m.newId))
            }
        }
        var out: [Int] = []
        var i = 0
        while i != -1 {
            out.append(symbol[i])
            i = next[i]
        }
        ids = out
    }
}
