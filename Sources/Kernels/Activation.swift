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
    public static func swiglu(gate: UnsafePointer<Float>, up: UnsafePointer<Float>,
                              out: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { out[i] = silu(gate[i]) * up[i] }
    }
}
