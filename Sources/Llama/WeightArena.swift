/// Anonymous memory for one model's weight buffers, handed out from
/// 2 MiB-aligned chunks advised as transparent huge pages (`PageMemory`).
///
/// Why: a decode step streams every weight once, and with 4 KiB pages that
/// stream walks a new page table entry every 4 KiB; 2 MiB pages take the
/// TLB misses out of it (`lorad-bench model` measures both page sizes:
/// 1.35× the read bandwidth on an AMD EPYC Zen 3). One arena rather than a
/// rounded-up allocation per buffer, because most projections are smaller
/// than a huge page in 16 bits, and rounding each would waste a third of
/// the memory.
///
/// `@unchecked Sendable`: chunks are only carved while the weights are built,
/// on the loading thread, before the buffers are shared; afterwards the
/// arena is only kept alive (and unmapped when the last buffer goes).
public final class WeightArena: @unchecked Sendable {
    /// A chunk's size unless one buffer needs more.
    static let chunkBytes = 64 << 20

    /// Whether chunks are advised as huge pages (`.small`: ordinary 4 KiB
    /// pages, for comparing the two).
    public let pages: WeightPages
    private var chunks: [PageMemory] = []
    private var cursor: UnsafeMutableRawPointer?
    private var remaining = 0

    public init(pages: WeightPages = .huge) {
        self.pages = pages
    }

    /// `bytes` of zeroed memory, 64-byte aligned (AVX-512 loads), or nil when
    /// the system gives no more address space (the caller falls back to the
    /// allocator, which fails as it always did).
    func allocate(bytes: Int) -> UnsafeMutableRawPointer? {
        let size = (bytes + 63) & ~63
        if size > remaining {
            // A buffer bigger than half a chunk gets a chunk of its own, so
            // the space left in the current one is not thrown away.
            let own = size > Self.chunkBytes / 2
            guard let chunk = PageMemory(bytes: own ? size : Self.chunkBytes, pages: pages) else { return nil }
            chunks.append(chunk)
            if own { return chunk.base }
            cursor = chunk.base
            remaining = chunk.bytes
        }
        guard let start = cursor else { return nil }
        cursor = start + size
        remaining -= size
        return start
    }
}
