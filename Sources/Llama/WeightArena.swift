import Glibc

/// Anonymous memory for one model's weight buffers, handed out from
/// 2 MiB-aligned chunks advised as transparent huge pages
/// (`madvise(MADV_HUGEPAGE)`, madvise(2)).
///
/// Why: a decode step streams every weight once, and with 4 KiB pages that
/// stream walks a new page table entry every 4 KiB; 2 MiB pages take the
/// TLB misses out of it (`lorad-bench model` measures both page sizes:
/// 1.35× the read bandwidth on an AMD EPYC Zen 3). One arena rather than a
/// rounded-up allocation per buffer, because most projections are smaller
/// than a huge page in 16 bits, and rounding each would waste a third of
/// the memory. Where the kernel grants no huge pages (`never` in
/// /sys/kernel/mm/transparent_hugepage/enabled) the advice is ignored and
/// the memory is ordinary pages.
///
/// `@unchecked Sendable`: chunks are only carved while the weights are built,
/// on the loading thread, before the buffers are shared; afterwards the
/// arena is only kept alive (and unmapped when the last buffer goes).
public final class WeightArena: @unchecked Sendable {
    /// The page size the chunks are aligned to and advised for.
    static let hugePage = 2 << 20
    /// A chunk's size unless one buffer needs more.
    static let chunkBytes = 64 << 20

    /// Whether chunks are advised as huge pages (`.small`: ordinary 4 KiB
    /// pages, for comparing the two).
    public let pages: WeightPages
    private var chunks: [(base: UnsafeMutableRawPointer, bytes: Int)] = []
    private var cursor: UnsafeMutableRawPointer?
    private var remaining = 0

    public init(pages: WeightPages = .huge) {
        self.pages = pages
    }

    deinit {
        for c in chunks { munmap(c.base, c.bytes) }
    }

    /// `bytes` of zeroed memory, 64-byte aligned (AVX-512 loads), or nil when
    /// the system gives no more address space (the caller falls back to the
    /// allocator, which fails as it always did).
    func allocate(bytes: Int) -> UnsafeMutableRawPointer? {
        let size = (bytes + 63) & ~63
        if size > remaining {
            // A buffer bigger than half a chunk gets a chunk of its own, so
            // the space left in the current one is not thrown away.
            let chunk = size > Self.chunkBytes / 2 ? round(size) : Self.chunkBytes
            guard let base = mapAligned(chunk) else { return nil }
            chunks.append((base, chunk))
            if size > Self.chunkBytes / 2 { return base }
            cursor = base
            remaining = chunk
        }
        guard let start = cursor else { return nil }
        cursor = start + size
        remaining -= size
        return start
    }

    private func round(_ n: Int) -> Int { (n + Self.hugePage - 1) / Self.hugePage * Self.hugePage }

    /// `bytes` (a multiple of 2 MiB) of anonymous memory starting on a 2 MiB
    /// boundary: map 2 MiB more, then unmap the unaligned head and tail.
    private func mapAligned(_ bytes: Int) -> UnsafeMutableRawPointer? {
        let span = bytes + Self.hugePage
        guard let raw = mmap(nil, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
              raw != MAP_FAILED else { return nil }
        let address = Int(bitPattern: raw)
        let aligned = (address + Self.hugePage - 1) / Self.hugePage * Self.hugePage
        if aligned > address { munmap(raw, aligned - address) }
        let tail = address + span - (aligned + bytes)
        guard let base = UnsafeMutableRawPointer(bitPattern: aligned) else { return nil }
        if tail > 0 { munmap(base + bytes, tail) }
        if pages == .huge { _ = madvise(base, bytes, MADV_HUGEPAGE) }
        return base
    }
}
