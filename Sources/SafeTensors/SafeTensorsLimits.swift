/// Bounds applied to a safetensors header *before* it is parsed, so a hostile
/// file cannot make the reader allocate in proportion to what it claims.
public struct SafeTensorsLimits: Sendable, Equatable {
    /// The largest header accepted, in bytes.
    public var maxHeaderBytes: Int
    /// The most tensor entries accepted (`__metadata__` not counted).
    public var maxTensors: Int

    public init(maxHeaderBytes: Int, maxTensors: Int) {
        self.maxHeaderBytes = maxHeaderBytes
        self.maxTensors = maxTensors
    }

    /// Model checkpoints (trusted folders): the reference implementation's
    /// 100 MB header cap (`safetensors::tensor::MAX_HEADER_SIZE`), and no
    /// tensor-count cap beyond what that header can hold.
    public static let checkpoint = SafeTensorsLimits(maxHeaderBytes: 100_000_000, maxTensors: .max)

    /// Bytes an entry takes at most in a header lorad would ever need: a
    /// tensor name of a few hundred bytes (PEFT writes ~70–110) plus dtype,
    /// shape and offsets (~80).
    public static let bytesPerEntry = 512
    /// Room for `__metadata__` (PEFT writes `{"format": "pt"}`) and padding.
    public static let metadataBytes = 64 * 1024

    /// Limits for a file that may hold at most `tensors` entries, e.g. an
    /// adapter for a base model with L targetable linears needs at most
    /// 3·L (lora_A, lora_B, DoRA's magnitude vector).
    public static func atMost(tensors: Int) -> SafeTensorsLimits {
        let n = max(0, min(tensors, 1 << 24))
        return SafeTensorsLimits(maxHeaderBytes: metadataBytes + n * bytesPerEntry, maxTensors: n)
    }
}
