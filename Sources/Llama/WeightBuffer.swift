import Kernels
import SafeTensors

/// An owned, 64-byte-aligned buffer holding one (possibly fused) weight, its
/// elements in `format`: F32, or 16-bit (BF16, F16) for the large matrices of
/// a model served in 16 bits, which the kernels widen in registers.
///
/// A class so several views (q, k and v inside a fused QKV matrix; a tied
/// lm_head and embed_tokens) share one allocation, and so a live merge can
/// rewrite a projection's rows in place and copy W0 back afterwards.
///
/// `@unchecked Sendable`: the contents are written while the weights are built
/// (before they are shared) and afterwards only by the engine thread between
/// forward steps — the same single thread that reads them.
public final class WeightBuffer: @unchecked Sendable {
    /// Number of elements.
    public let count: Int
    /// How each element is stored.
    public let format: WeightFormat
    /// Start of the elements (aligned for AVX-512 loads): count · format.byteSize bytes.
    public let raw: UnsafeMutableRawPointer

    /// The arena the elements live in (kept alive by every buffer carved
    /// from it), or nil when they are this buffer's own allocation.
    private let arena: WeightArena?

    /// A zero-filled buffer of `count` elements, carved from `arena` if given.
    public init(count: Int, format: WeightFormat = .f32, arena: WeightArena? = nil) {
        self.count = count
        self.format = format
        let bytes = max(1, count) * format.byteSize
        if let arena, let carved = arena.allocate(bytes: bytes) {
            raw = carved   // fresh anonymous memory: already zero
            self.arena = arena
        } else {
            raw = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
            raw.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
            self.arena = nil
        }
    }

    /// An F32 buffer holding a copy of `values`.
    public convenience init(_ values: [Float]) {
        self.init(count: values.count)
        store(values, at: 0)
    }

    deinit { if arena == nil { raw.deallocate() } }

    /// The elements as F32: only for F32 buffers (norms, biases and every
    /// weight of an F32 model); 16-bit matrices are read through `raw` by the
    /// kernels or widened with `widen`.
    public var pointer: UnsafeMutablePointer<Float> {
        assert(format == .f32, "F32 view of a \(format) buffer")
        return raw.assumingMemoryBound(to: Float.self)
    }

    /// The address of element `index`.
    public func address(of index: Int) -> UnsafeMutableRawPointer { raw + index * format.byteSize }

    /// Elements offset ..< offset + values.count ← values, rounded to nearest
    /// even for a 16-bit buffer (PyTorch's `.to(torch.bfloat16)` / `.half()`).
    /// Returns how many finite values rounded to ±infinity (`WeightFormat.narrow`).
    @discardableResult
    public func store(_ values: UnsafeBufferPointer<Float>, at offset: Int) -> Int {
        guard let base = values.baseAddress, !values.isEmpty else { return 0 }
        return format.narrow(base, count: values.count, into: address(of: offset))
    }

    @discardableResult
    public func store(_ values: [Float], at offset: Int) -> Int {
        values.withUnsafeBufferPointer { store($0, at: offset) }
    }

    /// dst[0 ..< count] ← elements offset ..< offset + count widened to F32 (exact).
    public func widen(from offset: Int, count: Int, into dst: UnsafeMutablePointer<Float>) {
        Widening.toFloat(address(of: offset), format: format, into: dst, count: count)
    }

    /// A copy of the contents widened to F32 (tests, export).
    public var values: [Float] { values(from: 0, count: count) }

    /// Elements offset ..< offset + count widened to F32.
    public func values(from offset: Int, count n: Int) -> [Float] {
        [Float](unsafeUninitializedCapacity: n) { buffer, initialized in
            if let base = buffer.baseAddress, n > 0 { widen(from: offset, count: n, into: base) }
            initialized = n
        }
    }

    /// Bytes held.
    public var byteCount: Int { count * format.byteSize }
}
