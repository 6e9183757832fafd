import Kernels

/// One sequence's KV cache: per layer and key/value head, K and V of every
/// position so far, each (positions, headDim) row-major in `format`.
///
/// Why per head: decode attention reads one KV head's keys (then values) for
/// all positions; with each head's positions contiguous that is one
/// sequential stream, where a (positions, kvHeads · headDim) layout made it
/// read headDim values out of every kvHeads · headDim row — a strided walk
/// that ran at a fraction of the machine's read bandwidth at long contexts.
///
/// Storage grows by doubling up to `capacity`, so a short request does not
/// pay for max_position_embeddings (SmolLM: 2048 positions × 30 layers ×
/// 2 × 192 floats = 94 MB if allocated up front). Every layer's K and V
/// live in one region; from 2 MiB up it is `PageMemory` on transparent
/// huge pages, because decode attention streams the whole cache every
/// step (a C harness of the kernel over the long-context bench's caches,
/// one thread: 10–20 % less time than the same caches malloc'd per layer).
///
/// `@unchecked Sendable`: created by a request handler and then mutated only
/// by the engine thread inside `LlamaModel.forward` (one owner at a time).
public final class SequenceState: @unchecked Sendable {
    /// The most positions this sequence may hold.
    public let capacity: Int
    /// Positions already in the cache (the next token's position).
    public private(set) var length: Int = 0
    /// How K and V elements are stored.
    public let format: WeightFormat
    /// Finite keys and values the cache could only hold as ±infinity: an
    /// F16 cache under a model whose keys or values pass ±65504. Attention
    /// over such a cache is no longer the model's; the engine counts the
    /// sequences this happens to so the daemon can say so.
    public private(set) var overflowedValues = 0

    let layerCount: Int
    let kvHeads: Int
    let headDim: Int
    /// Positions the buffers can hold now (≤ capacity).
    private(set) var allocated: Int = 0
    /// Per layer: (kvHeads, allocated, headDim) in `format`, inside `region`
    private var keys: [UnsafeMutableRawPointer] = []
    /// Per layer: (kvHeads, allocated, headDim) in `format`, inside `region`
    private var values: [UnsafeMutableRawPointer] = []
    /// The memory `keys` and `values` point into.
    private var region = Region.none

    /// Where the cache's one region came from.
    private enum Region {
        case none
        /// Below 2 MiB (or when no mapping was granted): the allocator's.
        case heap(UnsafeMutableRawPointer)
        /// 2 MiB and up: its own mapping, advised as huge pages.
        case pages(PageMemory)

        /// Room for `bytes`, zeroed only when mapped.
        init(bytes: Int) {
            if bytes >= PageMemory.hugePage, let memory = PageMemory(bytes: bytes, pages: .huge) {
                self = .pages(memory)
            } else {
                self = .heap(UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64))
            }
        }

        var base: UnsafeMutableRawPointer? {
            switch self {
            case .none: nil
            case .heap(let p): p
            case .pages(let memory): memory.base
            }
        }

        /// Frees heap memory now; a mapping goes with its last reference.
        func release() {
            if case .heap(let p) = self { p.deallocate() }
        }
    }

    /// A fresh, empty sequence for `config`. `capacity` caps the context
    /// below `max_position_embeddings` (a server limit); it can never exceed
    /// it. `format` is how K and V are stored: F32 keeps them exactly as
    /// computed; BF16 or F16 halve the cache and the bytes decode attention
    /// reads, rounding each value to nearest even when it is cached.
    public init(config: LlamaConfig, capacity: Int? = nil, format: WeightFormat = .f32) {
        self.capacity = max(1, min(capacity ?? config.maxPositionEmbeddings, config.maxPositionEmbeddings))
        self.format = format
        layerCount = config.numHiddenLayers
        kvHeads = config.numKeyValueHeads
        headDim = config.headDim
    }

    deinit { region.release() }

    /// Forgets positions from `newLength` on (e.g. to re-run a prompt suffix).
    public func truncate(to newLength: Int) {
        length = max(0, min(length, newLength))
    }

    /// Bytes one position takes in every layer (K and V) for `config` with
    /// elements in `format`: the one count of what a cached position costs,
    /// which admission reserves per position and the KV usage reports use.
    public static func bytesPerPosition(config: LlamaConfig, format: WeightFormat) -> Int {
        2 * config.numHiddenLayers * config.keyValueDim * format.byteSize
    }

    /// Bytes of cache allocated now.
    public var byteCount: Int { 2 * layerCount * kvHeads * allocated * headDim * format.byteSize }

    /// Elements between one KV head's position 0 and the next head's.
    var headStride: Int { allocated * headDim }

    /// Makes room for `positions` positions (caller checked ≤ capacity).
    func reserve(positions: Int) {
        guard positions > allocated else { return }
        var newAllocated = max(allocated, 16)
        while newAllocated < positions { newAllocated *= 2 }
        newAllocated = min(newAllocated, capacity)
        let element = format.byteSize, oldAllocated = allocated, kept = length * headDim * element
        // Per layer K then V, each (kvHeads, newAllocated, headDim), 64-byte aligned (AVX-512 loads).
        let slab = (kvHeads * newAllocated * headDim * element + 63) & ~63
        let grown = Region(bytes: 2 * layerCount * slab)
        guard let base = grown.base else { return }
        func moved(_ old: [UnsafeMutableRawPointer], first: Int) -> [UnsafeMutableRawPointer] {
            (0..<layerCount).map { l in
                let p = base + (2 * l + first) * slab
                if l < old.count {
                    // Each head's positions move to its new, longer slot.
                    for h in 0..<kvHeads {
                        (p + h * newAllocated * headDim * element)
                            .copyMemory(from: old[l] + h * oldAllocated * headDim * element, byteCount: kept)
                    }
                }
                return p
            }
        }
        keys = moved(keys, first: 0)
        values = moved(values, first: 1)
        region.release()
        region = grown
        allocated = newAllocated
    }

    /// Position 0 of KV head `head`'s keys in `layer`: (allocated, headDim) in `format`.
    @inline(__always)
    func keys(layer: Int, head: Int) -> UnsafeMutableRawPointer { keys[layer] + head * headStride * format.byteSize }

    /// Position 0 of KV head `head`'s values in `layer`: (allocated, headDim) in `format`.
    @inline(__always)
    func values(layer: Int, head: Int) -> UnsafeMutableRawPointer { values[layer] + head * headStride * format.byteSize }

    /// Caches one position's rotated keys and values in `layer`, rounding to
    /// nearest even when the cache is 16-bit.
    /// - k, v: (kvHeads, headDim) F32, as the k and v projections lay them out
    func store(layer: Int, position: Int, keys k: UnsafePointer<Float>, values v: UnsafePointer<Float>) {
        let offset = position * headDim * format.byteSize
        for h in 0..<kvHeads {
            overflowedValues &+= format.narrow(k + h * headDim, count: headDim, into: keys(layer: layer, head: h) + offset)
            overflowedValues &+= format.narrow(v + h * headDim, count: headDim, into: values(layer: layer, head: h) + offset)
        }
    }

    /// Called by the forward pass after every layer has written `newLength` positions.
    func commit(length newLength: Int) { length = newLength }
}
