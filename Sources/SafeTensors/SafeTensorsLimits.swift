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

    /// Checks the header length a file declares in its first 8 bytes (u64
    /// little-endian), so a stream can be refused before the rest arrives.
    /// Fewer than 8 bytes pass (nothing is declared yet).
    public func checkDeclaredHeader<Bytes: Collection>(_ prefix: Bytes, file: String) throws(SafeTensorsError)
        where Bytes.Element == UInt8 {
        guard prefix.count >= 8 else { return }
        let n = prefix.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        guard n <= UInt64(maxHeaderBytes) else {
            throw .headerTooLarge(file: file, headerLength: n, limit: maxHeaderBytes)
        }
    }

    /// Limits for a file that may hold at most `tensors` entries, e.g. an
    /// adapter for a base model with L targetable linears needs at most
    /// 3·L (lora_A, lora_B, DoRA's magnitude vector).
    public static func atMost(tensors: Int) -> SafeTensorsLimits {
        let n = max(0, min(tensors, 1 << 24))
        return SafeTensorsLimits(maxHeaderBytes: metadataBytes + n * bytesPerEntry, maxTensors: n)
    }
}
