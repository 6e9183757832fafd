/// Bounds for one `multipart/form-data` body.
public struct MultipartLimits: Sendable, Equatable {
    /// Most bytes in one part's content (413 beyond). Default 1 MiB; an upload
    /// route raises it to the largest file it accepts.
    public var maxPartBytes: Int = 1 << 20
    /// Most parts (400 beyond). Default 64.
    public var maxParts: Int = 64
    /// Most bytes of one part's header section (431 beyond). Default 16 KiB.
    public var maxPartHeaderBytes: Int = 16 * 1024

    public init(maxPartBytes: Int = 1 << 20, maxParts: Int = 64, maxPartHeaderBytes: Int = 16 * 1024) {
        self.maxPartBytes = maxPartBytes
        self.maxParts = maxParts
        self.maxPartHeaderBytes = maxPartHeaderBytes
    }
}
