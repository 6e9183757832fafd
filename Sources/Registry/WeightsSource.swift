import Foundation

/// Where an adapter's safetensors bytes come from when it is stored: a known
/// byte count plus a producer that pushes the bytes in chunks, in order.
///
/// Why a producer and not `Data`: the registry reserves `byteCount` bytes
/// with `zeroblob(n)` and writes each chunk straight into SQLite as it
/// arrives, so a spooled upload of hundreds of MB is never held in memory.
/// The producer may throw (e.g. the client went away); the insert then rolls
/// back and rethrows that error unchanged.
public struct WeightsSource {
    /// Exactly how many bytes `produce` will deliver.
    public let byteCount: Int64
    /// Calls `write` with consecutive chunks. Chunk buffers are only borrowed
    /// for the duration of each call.
    let produce: (_ write: (UnsafeRawBufferPointer) throws -> Void) throws -> Void

    /// A custom producer (e.g. a socket reader) that delivers exactly `byteCount` bytes.
    public init(byteCount: Int64,
                produce: @escaping (_ write: (UnsafeRawBufferPointer) throws -> Void) throws -> Void) {
        self.byteCount = byteCount
        self.produce = produce
    }

    /// Bytes already in memory, delivered in `chunkSize` slices (no copy).
    public static func data(_ data: Data, chunkSize: Int = 1 << 20) -> WeightsSource {
        WeightsSource(byteCount: Int64(data.count)) { write in
            try data.withUnsafeBytes { raw in
                var offset = 0
                while offset < raw.count {
                    let n = min(max(1, chunkSize), raw.count - offset)
                    try write(UnsafeRawBufferPointer(rebasing: raw[offset..<(offset + n)]))
                    offset += n
                }
            }
        }
    }

    /// A file (e.g. a spooled upload), read in `chunkSize` pieces. The size is
    /// taken now; a file that shrinks or grows before it is read is reported
    /// as `RegistryError.weightsSizeMismatch` by the insert.
    public static func file(_ url: URL, chunkSize: Int = 1 << 20) throws -> WeightsSource {
        let attributes = try FileManager.default.attributesOfItem(atPath: url.path)
        let size = (attributes[.size] as? NSNumber)?.int64Value ?? 0
        return WeightsSource(byteCount: size) { write in
            let handle = try FileHandle(forReadingFrom: url)
            defer { try? handle.close() }
            while let chunk = try handle.read(upToCount: max(1, chunkSize)), !chunk.isEmpty {
                try chunk.withUnsafeBytes { try write($0) }
            }
        }
    }
}
