/// Limits applied while reading safetensors headers.
public enum SafeTensorsLimits {
    /// The largest header accepted: 100 MB, the same cap as the reference
    /// implementation (`safetensors::tensor::MAX_HEADER_SIZE`). A hostile
    /// length prefix must not make us allocate gigabytes.
    public static let maxHeaderBytes = 100_000_000
}
