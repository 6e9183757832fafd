import Glibc

/// One anonymous memory region mapped on a 2 MiB boundary, advised as
/// transparent huge pages when asked (`madvise(MADV_HUGEPAGE)`, madvise(2)),
/// and unmapped when the last reference goes: the memory of buffers a
/// decode step streams end to end (a model's weight chunks, a sequence's KV
/// cache).
///
/// Why: with 4 KiB pages such a stream walks a new page table entry every
/// 4 KiB; 2 MiB pages take the TLB misses out of it (`lorad-bench model`
/// measures both page sizes for the weights). The 2 MiB alignment is what
/// lets the kernel back the region with huge pages at all: an allocation
/// from malloc rarely covers a whole aligned 2 MiB range. Where the kernel
/// grants no huge pages (`never` in
/// /sys/kernel/mm/transparent_hugepage/enabled) the advice is ignored and
/// the memory is ordinary pages.
///
/// `@unchecked Sendable`: it only hands out its pointer; whoever holds the
/// region decides who writes where (`WeightArena`, `SequenceState`).
final class PageMemory: @unchecked Sendable {
    /// The page size regions are aligned to and advised for.
    static let hugePage = 2 << 20

    /// Start of the region, on a 2 MiB boundary; zeroed when mapped.
    let base: UnsafeMutableRawPointer
    /// Mapped length: the bytes asked for, rounded up to 4 KiB.
    let bytes: Int

    /// At least `bytes` of zeroed memory on a 2 MiB boundary, advised as
    /// huge pages when `pages` is `.huge`; nil when the system gives no more
    /// address space. The mapping ends with the bytes asked for (to the
    /// 4 KiB page), not at the next 2 MiB: the kernel backs only whole
    /// 2 MiB ranges inside it with huge pages, so a last, partial range stays
    /// on 4 KiB pages and nothing past what was asked becomes resident.
    init?(bytes asked: Int, pages: WeightPages) {
        let bytes = (max(asked, 1) + 4095) / 4096 * 4096
        // Map 2 MiB more, then unmap the unaligned head and tail.
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
        self.base = base
        self.bytes = bytes
    }

    deinit { munmap(base, bytes) }
}
