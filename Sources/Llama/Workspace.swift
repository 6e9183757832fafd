import Kernels
import LoRA

/// Scratch buffers for forward passes, grown to the largest batch seen and
/// then reused so the hot path does not allocate. Owned by the one thread that
/// runs forward passes (the engine thread); deliberately not Sendable.
///
/// Shapes below: R = rows of the batch, H = hidden, Q = heads·headDim,
/// KV = kvHeads·headDim, I = intermediate.
public final class Workspace {
    /// Capacity in rows, and the config the buffers were sized for.
    private(set) var rowCapacity = 0
    private var sized: LlamaConfig?

    /// (R, H) residual stream
    private(set) var x = Buffer()
    /// (R, H) normed input of the next projection
    private(set) var normed = Buffer()
    /// (R, Q + 2·KV) fused q ; k ; v projections
    private(set) var qkv = Buffer()
    /// (R, Q) attention output before o_proj
    private(set) var attention = Buffer()
    /// (R, H) output of o_proj / down_proj before the residual add
    private(set) var projected = Buffer()
    /// (R, 2·I) fused gate ; up projections
    private(set) var gateUp = Buffer()
    /// (R, I) silu(gate)·up, the input of down_proj
    private(set) var activated = Buffer()
    /// (R, headDim/2) each: RoPE angles of each row's position
    private(set) var cos = Buffer()
    private(set) var sin = Buffer()
    /// (rows of one sequence, positions) attention scores of one head
    private(set) var scores = Buffer()
    /// (2, positions, headDim) one KV head's keys ; values widened from a
    /// 16-bit cache for prefill attention's sgemm; unused over F32 caches
    private(set) var widenedKV = Buffer()
    /// (panel rows, max in) 16-bit weight rows widened for prefill's sgemm
    /// (`WidenedGEMM`); unused by an F32 model
    private(set) var panel = Buffer()

    /// Low-rank path scratch (gather, x·Aᵀ, ·Bᵀ).
    public let lora = LoRAScratch()

    /// The decode-attention implementation forward passes run
    /// (`DecodeAttention.group`): the process's kernel path unless a
    /// caller — a test or the bench comparing paths in one run — sets one.
    public var attentionPath: KernelPath = KernelPath.active

    public init() {}

    /// Makes every buffer big enough for `rows` rows, `scores` floats of
    /// attention scores and `widenedKV` floats of widened cache under
    /// `config`, with a widening panel for weights in `format` when prefill
    /// needs one.
    func reserve(rows: Int, scores scoreCount: Int, widenedKV widenCount: Int, config: LlamaConfig,
                 format: WeightFormat) {
        if rows > rowCapacity || sized != config {
            let r = max(rows, rowCapacity)
            let h = config.hiddenSize, q = config.queryDim, kv = config.keyValueDim
            let inter = config.intermediateSize
            x.reserve(r * h)
            normed.reserve(r * h)
            qkv.reserve(r * (q + 2 * kv))
            attention.reserve(r * q)
            projected.reserve(r * h)
            gateUp.reserve(r * 2 * inter)
            activated.reserve(r * inter)
            cos.reserve(r * config.headDim / 2)
            sin.reserve(r * config.headDim / 2)
            rowCapacity = r
            sized = config
        }
        scores.reserve(scoreCount)
        widenedKV.reserve(widenCount)
        if format != .f32 && rows > BatchedGEMV.maxRows {
            let widest = max(config.hiddenSize, config.queryDim, config.intermediateSize)
            panel.reserve(WidenedGEMM.panelCapacity(inFeatures: widest))
        }
    }

    /// A growable raw F32 buffer (contents are scratch: not kept on growth).
    struct Buffer {
        private var owner = Owner(count: 1)
        var pointer: UnsafeMutablePointer<Float> { owner.pointer }
        var count: Int { owner.count }

        mutating func reserve(_ n: Int) {
            if n > owner.count { owner = Owner(count: n) }
        }

        /// Frees the allocation when the buffer is replaced or the workspace goes away.
        final class Owner {
            let pointer: UnsafeMutablePointer<Float>
            let count: Int
            init(count: Int) {
                self.count = count
                pointer = .allocate(capacity: count)
                pointer.initialize(repeating: 0, count: count)
            }
            deinit { pointer.deallocate() }
        }
    }
}
