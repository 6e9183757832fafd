extension LlamaWeights {
    /// FNV-1a over the bytes of every weight buffer: a test hook to show an
    /// unmerge restored W0 bit for bit.
    public func checksum() -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ buffer: WeightBuffer) {
            let bytes = UnsafeRawBufferPointer(start: buffer.raw, count: buffer.byteCount)
            for b in bytes {
                hash ^= UInt64(b)
                hash &*= 0x100_0000_01b3
            }
        }
        mix(embedTokens)
        for l in layers {
            for b in l.buffers { mix(b) }
        }
        mix(norm)
        if lmHead !== embedTokens { mix(lmHead) }
        return hash
    }
}
