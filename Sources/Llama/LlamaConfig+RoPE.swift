import Foundation
import Kernels

extension LlamaConfig {
    /// The RoPE inverse frequencies (headDim / 2) this config implies,
    /// including any supported `rope_type` adjustment.
    public var ropeInverseFrequencies: [Float] {
        let base = RoPE.defaultInverseFrequencies(headDim: headDim, theta: ropeTheta)
        switch ropeScaling {
        case .none:
            return base
        case let .llama3(factor, low, high, original):
            // transformers `_compute_llama3_parameters` (modeling_rope_utils.py):
            // long wavelengths are divided by `factor`, short ones kept, the
            // band between interpolated smoothly; attention_factor stays 1.
            let factor = Float(factor), low = Float(low), high = Float(high), old = Float(original)
            let lowFreqWavelen = old / low
            let highFreqWavelen = old / high
            return base.map { f in
                let wavelen = 2 * Float.pi / f
                let scaled = wavelen > lowFreqWavelen ? f / factor : f
                let isMedium = !(wavelen < highFreqWavelen) && !(wavelen > lowFreqWavelen)
                guard isMedium else { return scaled }
                let smooth = (old / wavelen - low) / (high - low)
                return (1 - smooth) * scaled / factor + smooth * scaled
            }
        }
    }
}
