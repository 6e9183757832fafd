import Kernels
import SafeTensors

extension WeightFormat {
    /// `values` rounded to this format's precision (to nearest even) and
    /// widened back: what PyTorch's `.to(torch.bfloat16)` / `.half()` leaves
    /// of an F32 tensor. Identity for F32, and for values already in the format.
    func rounded(_ values: [Float]) -> [Float] {
        switch self {
        case .f32: return values
        case .bf16: return values.map { FloatConversion.bf16ToFloat(FloatConversion.floatToBF16($0)) }
        case .f16: return values.map { FloatConversion.f16ToFloat(FloatConversion.floatToF16($0)) }
        }
    }
}
