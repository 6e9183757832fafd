import Kernels
import Llama

extension WeightBuffer {
    /// `count` elements of `format` holding `value(i)`, rounded as `store`
    /// rounds them, carved from `arena` if given (else ordinary pages): the
    /// synthetic matrices and caches the kernel and attention rows stream.
    static func filled(count: Int, format: WeightFormat, arena: WeightArena? = nil,
                       _ value: (Int) -> Float) -> WeightBuffer {
        let buffer = WeightBuffer(count: count, format: format, arena: arena)
        let chunk = 1 << 16   // floats converted at a time
        for start in stride(from: 0, to: count, by: chunk) {
            buffer.store((start..<min(start + chunk, count)).map(value), at: start)
        }
        return buffer
    }
}
