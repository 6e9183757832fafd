/// The frozen linears of a base model as an adapter sees them: which ones
/// exist with which (out, in) shape — all plain LoRA validation needs — and
/// their values W0, which a DoRA adapter's per-row factor is computed from.
///
/// The model implements it over whatever it keeps resident, so the factor is
/// taken against exactly the W0 the forward pass multiplies by: an F32 model
/// hands out its rows in place, a 16-bit one widens them to F32 (exactly:
/// every BF16/F16 value is an F32 value) into a buffer for the duration of
/// the call. The loader never learns how the model stores its weights.
public protocol BaseLinears: Sendable {
    /// Every linear an adapter may target, with its (out, in) shape.
    var linearShapes: [LinearID: LinearShape] { get }

    /// Calls `body` with linear `id`'s W0 as the model holds it, widened to
    /// F32: (out, in) row-major, row stride `in`. The buffer is valid only
    /// during `body` and must not be written.
    /// - Throws: `AdapterError.baseWeightsUnavailable` when the values are not
    ///   at hand (a shapes-only base), or the implementation's read error.
    func withWeight<R>(of id: LinearID, _ body: (UnsafeBufferPointer<Float>) throws -> R) throws -> R
}

/// A base known by its shapes only (validation before a model is loaded,
/// tests): enough for plain LoRA; a DoRA adapter is refused because its
/// factor needs W0's values.
extension Dictionary: BaseLinears where Key == LinearID, Value == LinearShape {
    public var linearShapes: [LinearID: LinearShape] { self }

    public func withWeight<R>(of id: LinearID, _ body: (UnsafeBufferPointer<Float>) throws -> R) throws -> R {
        throw AdapterError.baseWeightsUnavailable(module: id.modulePath)
    }
}
