import Foundation
import LoRA
import SafeTensors
#if canImport(Glibc)
import Glibc
#endif

/// The bytes of a `MergePlan`'s `.safetensors` file as a sequence of bounded
/// chunks, for `POST /adapters/NAME/merge`.
///
/// Byte for byte what `MergePlan.serialize` (and so `lorad merge`) writes —
/// the header, then every tensor in the writer's order — but with bounded
/// memory: `MergePlan.bytes` materialises a whole tensor (the 135M model's
/// embedding alone is 113 MB in F32), so untouched tensors are copied (or
/// re-encoded, for `?dtype=`) `chunkBytes` at a time straight from the
/// mapped checkpoint, and only adapted linears — one (out, in) matrix at a
/// time — are computed whole by `MergePlan.bytes`.
///
/// Reading the mapping faults the checkpoint's pages into this process; each
/// range is dropped again with `madvise(MADV_DONTNEED)` once copied (the
/// mapping is private and never written, so the kernel refills it from the
/// page cache if read again — madvise(2)), which keeps the daemon's resident
/// set from growing by the model size while it answers.
///
/// `@unchecked Sendable`: the cursor is mutated by one producer at a time —
/// the download loop awaits each `next()` before asking for the following one.
final class MergeStream: @unchecked Sendable {
    let plan: MergePlan
    let writer: SafeTensorsWriter
    /// Largest chunk handed out for untouched tensors (merged tensors come whole).
    let chunkBytes: Int
    /// Total size of the file (the download's Content-Length).
    var byteCount: Int { writer.byteCount }

    private var headerSent = false
    private var entryIndex = 0
    /// Elements of the current (untouched) entry already handed out.
    private var elementOffset = 0

    /// Whether copied ranges are dropped from the page tables. Only for a
    /// checkpoint opened with `Checkpoint(folder:)`, which always maps its
    /// files privately (SafeTensorsFile `.mapped`): MADV_DONTNEED on heap
    /// memory would zero it.
    let releasesMappedPages: Bool

    init(plan: MergePlan, chunkBytes: Int = 2 << 20, releasesMappedPages: Bool) throws {
        self.plan = plan
        self.writer = try plan.writer()
        self.chunkBytes = max(chunkBytes, 4096)
        self.releasesMappedPages = releasesMappedPages
    }

    /// The next piece of the file, nil after the last one.
    /// - Throws: `SafeTensorsError.truncatedWhileMapped` when a checkpoint
    ///   file was cut short on disk meanwhile: the download stops short
    ///   instead of the process faulting (SIGBUS) on the missing pages.
    func next() throws -> [UInt8]? {
        try plan.base.checkStillWhole()
        if !headerSent {
            headerSent = true
            return writer.headerBytes
        }
        while entryIndex < writer.entries.count {
            let entry = writer.entries[entryIndex]
            if entry.elementCount == 0 {
                entryIndex += 1
                continue
            }
            if plan.isMerged(entry.name) {
                // One adapted (out, in) linear: W0 + Σ w·s·B·A, encoded.
                let bytes = try plan.bytes(entry.name)
                guard bytes.count == entry.byteCount else {
                    throw SafeTensorsError.invalidWriterEntry(tensor: entry.name, reason: "merged to \(bytes.count) bytes, expected \(entry.byteCount)")
                }
                try releasePages(of: entry.name, elements: 0..<entry.elementCount)
                entryIndex += 1
                return bytes
            }
            let chunk = try untouchedChunk(entry)
            return chunk
        }
        return nil
    }

    /// The next `chunkBytes` (or fewer) of an untouched tensor: raw bytes when
    /// the output dtype is the checkpoint's, else decoded and re-encoded with
    /// the same conversions `MergePlan.bytes` uses (element-wise, so chunking
    /// cannot change a byte).
    private func untouchedChunk(_ entry: SafeTensorsWriter.Entry) throws -> [UInt8] {
        guard let info = plan.base.info(entry.name) else {
            throw AdapterError.baseMismatch(tensor: entry.name, reason: "is not in the base checkpoint")
        }
        let outSize = entry.dtype.byteSize
        let perChunk = max(1, chunkBytes / max(outSize, info.dtype.byteSize))
        let range = elementOffset..<min(entry.elementCount, elementOffset + perChunk)
        let inSize = info.dtype.byteSize
        let out: [UInt8] = try plan.base.withRawBytes(entry.name) { raw in
            let src = UnsafeRawBufferPointer(rebasing: raw[(range.lowerBound * inSize)..<(range.upperBound * inSize)])
            if entry.dtype == info.dtype { return [UInt8](src) }
            return try SafeTensorsWriter.encode(Self.decode(src, dtype: info.dtype, tensor: entry.name),
                                                as: entry.dtype, tensor: entry.name)
        }
        try releasePages(of: entry.name, elements: range)
        if range.upperBound == entry.elementCount {
            entryIndex += 1
            elementOffset = 0
        } else {
            elementOffset = range.upperBound
        }
        return out
    }

    /// Little-endian floating-point values as F32, exactly as
    /// `SafeTensorsFile.floats` reads them (F64 rounds to nearest).
    static func decode(_ src: UnsafeRawBufferPointer, dtype: DType, tensor: String) throws -> [Float] {
        let n = src.count / dtype.byteSize
        var out = [Float](repeating: 0, count: n)
        switch dtype {
        case .f32:
            for i in 0..<n { out[i] = Float(bitPattern: UInt32(littleEndian: src.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))) }
        case .f16:
            for i in 0..<n { out[i] = FloatConversion.f16ToFloat(UInt16(littleEndian: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) }
        case .bf16:
            for i in 0..<n { out[i] = FloatConversion.bf16ToFloat(UInt16(littleEndian: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) }
        case .f64:
            for i in 0..<n { out[i] = Float(Double(bitPattern: UInt64(littleEndian: src.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)))) }
        default:
            throw SafeTensorsError.notFloatingPoint(file: "model", tensor: tensor, dtype: dtype.rawValue)
        }
        return out
    }

    /// Drops the mapped pages behind `elements` of `tensor` from this
    /// process's page tables (not from the page cache). Pages are rounded
    /// outwards: a neighbour's page dropped early is simply faulted in again.
    private func releasePages(of tensor: String, elements: Range<Int>) throws {
        guard releasesMappedPages, let info = plan.base.info(tensor) else { return }
        let size = info.dtype.byteSize
        try plan.base.withRawBytes(tensor) { raw in
            guard let base = raw.baseAddress, !elements.isEmpty else { return }
            let page = Int(sysconf(Int32(_SC_PAGESIZE)))
            let start = Int(bitPattern: base) + elements.lowerBound * size
            let end = Int(bitPattern: base) + elements.upperBound * size
            let lo = start / page * page
            let hi = (end + page - 1) / page * page
            _ = madvise(UnsafeMutableRawPointer(bitPattern: lo), hi - lo, MADV_DONTNEED)
        }
    }
}
