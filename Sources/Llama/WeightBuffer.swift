import Foundation

/// An owned, 64-byte-aligned F32 buffer holding one (possibly fused) weight.
///
/// A class so several views (q, k and v inside a fused QKV matrix; a tied
/// lm_head and embed_tokens) share one allocation, and so a later live merge
/// can rewrite a projection's rows in place and copy W0 back afterwards.
///
/// `@unchecked Sendable`: the contents are written while the weights are built
/// (before they are shared) and afterwards only by the engine thread between
/// forward steps — the same single thread that reads them.
public final class WeightBuffer: @unchecked Sendable {
    /// Number of F32 elements.
    public let count: Int
    /// Start of the elements (aligned for AVX-512 loads).
    public let pointer: UnsafeMutablePointer<Float>

    /// A zero-filled buffer of `count` floats.
    public init(count: Int) {
        self.count = count
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(1, count) * MemoryLayout<Float>.stride,
                                                   alignment: 64)
        pointer = raw.bindMemory(to: Float.self, capacity: max(1, count))
        pointer.initialize(repeating: 0, count: max(1, count))
    }

    /// A buffer holding a copy of `values`.
    public convenience init(_ values: [Float]) {
        self.init(count: values.count)
        values.withUnsafeBufferPointer { pointer.update(from: $0.baseAddress!, count: values.count) }
    }

    deinit {
        pointer.deinitialize(count: max(1, count))
        UnsafeMutableRawPointer(pointer).deallocate()
    }

    /// A copy of the contents as an array (tests, export).
    public var values: [Float] { Array(UnsafeBufferPointer(start: pointer, count: count)) }

    /// Bytes held.
    public var byteCount: Int { count * MemoryLayout<Float>.stride }
}
