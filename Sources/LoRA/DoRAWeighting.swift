import Synchronization

/// A DoRA adapter at other weights than 1: the base its factors are
/// recomputed against, and the reweighted adapters already made.
///
/// At most `capacity` weights are kept per adapter (least recently used
/// dropped first), so a client cycling through weights cannot grow memory
/// without bound; a dropped adapter lives on in the requests that hold it.
/// Each kept weight costs one F32 factor per output row of every module
/// (A and B are shared with the adapter, not copied).
final class DoRAWeighting: Sendable {
    let base: any BaseLinears
    static let capacity = 8

    private struct Entry {
        let adapter: LoRAAdapter
        var lastUse: UInt64
    }
    private struct State {
        var entries: [UInt32: Entry] = [:]   // keyed by the weight's bit pattern
        var clock: UInt64 = 0
    }
    private let state = Mutex(State())

    init(base: any BaseLinears) {
        self.base = base
    }

    /// `parent` with every module's scale multiplied by `weight` and its
    /// factor recomputed for that scale. Computed outside the lock (it reads
    /// every adapted W0); when two threads race for one weight, the first
    /// stored wins and both get it.
    func adapter(_ parent: LoRAAdapter, weight: Float) throws -> LoRAAdapter {
        let key = weight.bitPattern
        if let hit = lookup(key) { return hit }
        var modules: [LinearID: LoRAModule] = [:]
        for (id, module) in parent.modules {
            guard let m = module.magnitude else { modules[id] = module; continue }
            let scale = weight * module.scale
            guard scale.isFinite, Double(scale).magnitude <= LoRAConfig.maxScale else {
                throw AdapterError.doraWeightOutOfRange(adapter: parent.name, weight: weight, module: id.modulePath,
                                                        scale: Double(weight) * Double(module.scale))
            }
            let g = try DoRAFactors.compute(module: module, magnitude: m, scale: scale, id: id, base: base)
            modules[id] = module.rescaled(scale, doraFactor: g)
        }
        let made = LoRAAdapter(name: "\(parent.name):\(weight)", modules: modules, weighting: nil)
        return state.withLock { s in
            s.clock += 1
            if let existing = s.entries[key] {
                s.entries[key]?.lastUse = s.clock
                return existing.adapter
            }
            if s.entries.count >= Self.capacity, let oldest = s.entries.min(by: { $0.value.lastUse < $1.value.lastUse }) {
                s.entries.removeValue(forKey: oldest.key)
            }
            s.entries[key] = Entry(adapter: made, lastUse: s.clock)
            return made
        }
    }

    private func lookup(_ key: UInt32) -> LoRAAdapter? {
        state.withLock { s in
            guard let entry = s.entries[key] else { return nil }
            s.clock += 1
            s.entries[key]?.lastUse = s.clock
            return entry.adapter
        }
    }

    /// Weights currently kept (tests).
    var cachedWeights: Int { state.withLock { $0.entries.count } }
}
