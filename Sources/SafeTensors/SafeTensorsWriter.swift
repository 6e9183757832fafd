import Foundation
import OrderedJSON

/// Writes safetensors files that `safetensors` / transformers can read.
///
/// The header is computed from the entry list alone, so the file can be
/// streamed tensor by tensor (merge export never holds a second copy of the
/// model). The output is deterministic: same entries and bytes → same file.
public struct SafeTensorsWriter: Sendable {
    public struct Entry: Sendable, Hashable {
        public let name: String
        public let dtype: DType
        public let shape: [Int]
        public init(name: String, dtype: DType, shape: [Int]) {
            self.name = name
            self.dtype = dtype
            self.shape = shape
        }
        public var elementCount: Int { shape.reduce(1, *) }
        public var byteCount: Int { elementCount * dtype.byteSize }
    }

    public let entries: [Entry]
    /// 8-byte little-endian header length, then the JSON header padded with
    /// spaces to a multiple of 8 (as the reference writer does, so the data
    /// section is 8-byte aligned).
    public let headerBytes: [UInt8]
    /// Total file size in bytes.
    public let byteCount: Int

    public init(entries: [Entry], metadata: [String: String]? = nil) throws {
        var seen = Set<String>()
        var json = "{"
        var first = true
        if let metadata, !metadata.isEmpty {
            json += Self.quote("__metadata__") + ":{"
            json += metadata.sorted { $0.key < $1.key }
                .map { Self.quote($0.key) + ":" + Self.quote($0.value) }
                .joined(separator: ",")
            json += "}"
            first = false
        }
        var offset = 0
        for e in entries {
            guard e.name != "__metadata__", seen.insert(e.name).inserted else {
                throw SafeTensorsError.invalidWriterEntry(tensor: e.name, reason: "duplicate or reserved name")
            }
            guard e.shape.allSatisfy({ $0 >= 0 }) else {
                throw SafeTensorsError.invalidWriterEntry(tensor: e.name, reason: "negative dimension in \(e.shape)")
            }
            let end = offset + e.byteCount
            if !first { json += "," }
            first = false
            json += Self.quote(e.name)
            json += ":{\"dtype\":\"\(e.dtype.rawValue)\",\"shape\":[\(e.shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(offset),\(end)]}"
            offset = end
        }
        json += "}"
        var header = Array(json.utf8)
        header += [UInt8](repeating: 0x20, count: (8 - header.count % 8) % 8)
        var prefix = [UInt8](repeating: 0, count: 8)
        let n = UInt64(header.count)
        for i in 0..<8 { prefix[i] = UInt8(truncatingIfNeeded: n >> (8 * UInt64(i))) }
        self.entries = entries
        self.headerBytes = prefix + header
        self.byteCount = headerBytes.count + offset
    }

    /// Streams the file to `sink`: the header, then each entry's bytes as
    /// returned by `bytes(entry)`, which must be exactly `entry.byteCount` long.
    public func serialize(into sink: ([UInt8]) throws -> Void, bytes: (Entry) throws -> [UInt8]) throws {
        try sink(headerBytes)
        for e in entries {
            let b = try bytes(e)
            guard b.count == e.byteCount else {
                throw SafeTensorsError.invalidWriterEntry(tensor: e.name, reason: "got \(b.count) bytes, shape \(e.shape) of \(e.dtype.rawValue) needs \(e.byteCount)")
            }
            try sink(b)
        }
    }

    /// Streams the file to `url`, which appears complete or not at all
    /// (`AtomicFile`): a failed or killed write leaves no partial file and
    /// an existing file of that name as it was.
    public func write(to url: URL, bytes: (Entry) throws -> [UInt8]) throws {
        try AtomicFile.write(to: url) { handle in
            try serialize(into: { chunk in
                do { try handle.write(contentsOf: chunk) } catch {
                    throw SafeTensorsError.writeFailed(file: url.path, reason: error.localizedDescription)
                }
            }, bytes: bytes)
        }
    }

    /// Convenience: writes F32 values, converting each to its entry's dtype.
    public static func write(_ tensors: [(name: String, dtype: DType, shape: [Int], values: [Float])],
                             metadata: [String: String]? = nil, to url: URL) throws {
        let writer = try SafeTensorsWriter(
            entries: tensors.map { Entry(name: $0.name, dtype: $0.dtype, shape: $0.shape) },
            metadata: metadata)
        var values: [String: [Float]] = [:]
        for t in tensors { values[t.name] = t.values }
        try writer.write(to: url) { entry in
            try encode(values[entry.name] ?? [], as: entry.dtype, tensor: entry.name)
        }
    }

    /// Little-endian bytes of `values` in `dtype` (F32, F16 or BF16; 16-bit
    /// formats round to nearest even).
    /// Throws `invalidWriterEntry` naming the tensor when a finite value
    /// would round to ±infinity in `dtype` (F16 past ±65504): the file would
    /// hold another model than the values given (a merge written as F16, or
    /// `?dtype=f16` over larger weights). Infinities and NaN given are kept.
    public static func encode(_ values: [Float], as dtype: DType, tensor: String = "") throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: values.count * dtype.byteSize)
        var overflowed = 0
        try out.withUnsafeMutableBytes { raw in
            switch dtype {
            case .f32:
                for (i, v) in values.enumerated() { raw.storeBytes(of: v.bitPattern.littleEndian, toByteOffset: 4 * i, as: UInt32.self) }
            case .f16:
                for (i, v) in values.enumerated() {
                    let h = FloatConversion.floatToF16(v)
                    overflowed &+= FloatConversion.f16Overflowed(h, from: v) ? 1 : 0
                    raw.storeBytes(of: h.littleEndian, toByteOffset: 2 * i, as: UInt16.self)
                }
            case .bf16:
                for (i, v) in values.enumerated() {
                    let b = FloatConversion.floatToBF16(v)
                    overflowed &+= FloatConversion.bf16Overflowed(b, from: v) ? 1 : 0
                    raw.storeBytes(of: b.littleEndian, toByteOffset: 2 * i, as: UInt16.self)
                }
            default:
                throw SafeTensorsError.invalidWriterEntry(tensor: tensor, reason: "cannot encode floats as \(dtype.rawValue)")
            }
        }
        guard overflowed == 0 else {
            throw SafeTensorsError.invalidWriterEntry(
                tensor: tensor,
                reason: "\(overflowed) value(s) lie past the largest \(dtype.rawValue) value\(dtype == .f16 ? " (±65504)" : "")"
                    + " and would be written as infinity")
        }
        return out
    }

    /// JSON string literal (RFC 8259 §7 escaping).
    static func quote(_ s: String) -> String { JSONString.quoted(s) }
}
