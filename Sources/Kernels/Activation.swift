import Foundation

/// The MLP activations of Llama: `hidden_act = "silu"` (transformers
/// `ACT2FN["silu"]` = `nn.SiLU`) and the SwiGLU gate of `LlamaMLP`:
/// down(act(gate(x)) · up(x)).
public enum Activation {
    /// silu(x) = x · sigmoid(x) = x / (1 + e^-x).
    @inline(__always)
    public static func silu(_ x: Float) -> Float {
        x / (1 + expf(-x))
    }

    /// out[i] = silu(gate[i]) · up[i]; out may alias gate or up.
    /// Eight lanes at a time with `VectorMath.exp` (libm's expf per element
    /// was most of this function's time).
    public static func swiglu(gate: UnsafePointer<Float>, up: UnsafePointer<Float>,
                              out: UnsafeMutablePointer<Float>, count: Int) {
        let g = UnsafeRawPointer(gate), u = UnsafeRawPointer(up), o = UnsafeMutableRawPointer(out)
        var i = 0
        while i + 8 <= count {
            let gv = g.loadUnaligned(fromByteOffset: i &* 4, as: SIMD8<Float>.self)
            let uv = u.loadUnaligned(fromByteOffset: i &* 4, as: SIMD8<Float>.self)
            let silu = gv / (1 + VectorMath.exp(-gv))
            o.storeBytes(of: silu * uv, toByteOffset: i &* 4, as: SIMD8<Float>.self)
            i &+= 8
        }
        while i < count {
            out[i] = silu(gate[i]) * up[i]
            i += 1
        }
    }
}
