/// One sequence's KV cache: per layer, K and V for every position so far,
/// each (positions, kvHeads · headDim) row-major.
///
/// Storage grows by doubling up to `capacity`, so a short request does not
/// pay for max_position_embeddings (SmolLM: 2048 positions × 30 layers ×
/// 2 × 192 floats = 94 MB if allocated up front).
///
/// `@unchecked Sendable`: created by a request handler and then mutated only
/// by the engine thread inside `LlamaModel.forward` (one owner at a time).
public final class SequenceState: @unchecked Sendable {
    /// The most positions this sequence may hold.
    public let capacity: Int
    /// Positions already in the cache (the next token's position).
    public private(set) var length: Int = 0

    let layerCount: Int
    /// kvHeads · headDim: the row width of K and V.
    let rowWidth: Int
    /// Positions the buffers can hold now (≤ capacity).
    private(set) var allocated: Int = 0
    /// Per layer: (allocated, rowWidth)
    private(set) var keys: [UnsafeMutablePointer<Float>] = []
    /// Per layer: (allocated, rowWidth)
    private(set) var values: [UnsafeMutablePointer<Float>] = []

    /// A fresh, empty sequence for `config`. `capacity` caps the context below
    /// `max_position_embeddings` (a server limit); it can never exceed it.
    public init(config: LlamaConfig, capacity: Int? = nil) {
        self.capacity = max(1, min(capacity ?? config.maxPositionEmbeddings, config.maxPositionEmbeddings))
        layerCount = config.numHiddenLayers
        rowWidth = config.keyValueDim
    }

    deinit {
        for p in keys { p.deallocate() }
        for p in values { p.deallocate() }
    }

    /// Forgets positions from `newLength` on (e.g. to re-run a prompt suffix).
    public func truncate(to newLength: Int) {
        length = max(0, min(length, newLength))
    }

    /// Bytes of cache allocated now.
    public var byteCount: Int { 2 * layerCount * allocated * rowWidth * MemoryLayout<Float>.stride }

    /// Makes room for `positions` positions (caller checked ≤ capacity).
    func reserve(positions: Int) {
        guard positions > allocated else { return }
        var newAllocated = max(allocated, 16)
        while newAllocated < positions { newAllocated *= 2 }
        newAllocated = min(newAllocated, capacity)
        func grow(_ old: [UnsafeMutablePointer<Float>]) -> [UnsafeMutablePointer<Float>] {
            (0..<layerCount).map { l in
                let p = UnsafeMutablePointer<Float>.allocate(capacity: newAllocated * rowWidth)
                if l < old.count {
                    p.update(from: old[l], count: length * rowWidth)
                    old[l].deallocate()
                }
                return p
            }
        }
        keys = grow(keys)
        values = grow(values)
        allocated = newAllocated
    }

    /// K row of `position` in `layer`: (rowWidth)
    @inline(__always)
    func key(layer: Int, position: Int) -> UnsafeMutablePointer<Float> { keys[layer] + position * rowWidth }

    /// V row of `position` in `layer`: (rowWidth)
    @inline(__always)
    func value(layer: Int, position: Int) -> UnsafeMutablePointer<Float> { values[layer] + position * rowWidth }

    /// Called by the forward pass after every layer has written `newLength` positions.
    func commit(length newLength: Int) { length = newLength }
}
