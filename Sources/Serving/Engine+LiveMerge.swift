import Llama
import LoRA

// Live merge (`PUT /merged`): one adapter mix is folded into the
// in-memory base so its requests run at base speed. Every other request stays
// exact because the folded delta is taken back out through its low-rank path:
// a row's effective mix is (its own adapters) − (the merged ones). For a
// merged DoRA adapter, weight −1 is its inverse, y / g − s·B·A·x
// (`LoRABatchPlan`), so the same subtraction covers it.
extension Engine {
    /// Folds `spec` into the base weights between two steps (replacing any
    /// previous live merge). Loading the adapters happens on the caller's thread.
    public func liveMerge(_ spec: AdapterSpec) throws {
        guard !spec.isBase else { return try liveUnmerge() }
        let lease = try adapters.lease(spec, pinned: true)  // held while merged, not while a request runs
        try betweenSteps { [self] in
            let previous = mergedLane
            previous?.merge.restore()
            mergedLane = nil
            let merge = LiveMerge(weights: model.weights)
            let uses = lease.uses
            do { try merge.fold(uses) } catch {
                merge.restore()   // never leave a half-merged model
                // Put the previous merge back: the same fold of the same
                // adapters on the same W0 gives the same bits.
                if let previous, (try? previous.merge.fold(previous.uses)) != nil { mergedLane = previous }
                throw error
            }
            mergedLane = MergedLane(spec: spec, uses: uses, lease: lease, merge: merge)
        }
        publishMerged(spec)
    }

    /// Restores W0 exactly (a no-op when nothing is merged).
    public func liveUnmerge() throws {
        try betweenSteps { [self] in
            mergedLane?.merge.restore()
            mergedLane = nil
        }
        publishMerged(nil)
    }

    /// The row's adapters minus what is folded into the weights; identical
    /// adapter objects cancel exactly (w − w = 0), so the merged adapter's own
    /// requests do no low-rank work at all.
    func effectiveMix(_ uses: [AdapterUse]) -> [AdapterUse] {
        guard let lane = mergedLane else { return uses }
        var out = uses
        for folded in lane.uses where folded.isActive {
            if let i = out.firstIndex(where: { $0.adapter === folded.adapter }) {
                let w = out[i].weight - folded.weight
                if w == 0 { out.remove(at: i) } else { out[i] = AdapterUse(folded.adapter, weight: w) }
            } else {
                out.append(AdapterUse(folded.adapter, weight: -folded.weight))
            }
        }
        return out
    }
}
