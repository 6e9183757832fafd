import FileReading
import Foundation

/// One validated safetensors buffer: a memory-mapped file, or bytes held in
/// memory (an upload). Every header check runs in `init`; afterwards tensors
/// can be read without further validation.
public final class SafeTensorsFile: Sendable {
    private enum Storage {
        case mapped(MappedFile)
        case memory(Data)
    }

    /// The path, or the label an upload was given; used in every error message.
    public let name: String
    public let metadata: [String: String]
    /// In data-offset order.
    public let tensors: [TensorInfo]
    private let storage: Storage
    private let dataStart: Int
    private let byName: [String: Int]

    /// Maps and validates the file at `url`; `limits` bound the header before it is parsed.
    public convenience init(contentsOf url: URL, limits: SafeTensorsLimits = .checkpoint) throws {
        let file = try MappedFile(path: url.path)
        try self.init(storage: .mapped(file), name: url.path, limits: limits)
    }

    /// Validates bytes held in memory (e.g. an uploaded `adapter_model.safetensors`).
    public convenience init(data: Data, name: String, limits: SafeTensorsLimits = .checkpoint) throws {
        try self.init(storage: .memory(data), name: name, limits: limits)
    }

    private init(storage: Storage, name: String, limits: SafeTensorsLimits) throws {
        self.storage = storage
        self.name = name
        let header: SafeTensorsHeader
        switch storage {
        case .mapped(let file):
            header = try SafeTensorsHeader(buffer: file.bytes, file: name, limits: limits)
        case .memory(let data):
            header = try data.withUnsafeBytes { try SafeTensorsHeader(buffer: $0, file: name, limits: limits) }
        }
        tensors = header.tensors
        metadata = header.metadata
        dataStart = header.dataStart
        var byName: [String: Int] = [:]
        for (i, t) in header.tensors.enumerated() { byName[t.name] = i }
        self.byName = byName
    }

    /// Total size of the buffer in bytes.
    /// The file as it was opened, for a mapped file (nil for bytes in memory).
    public var identity: FileIdentity? {
        if case .mapped(let f) = storage { return f.identity }
        return nil
    }

    /// Throws `.truncatedWhileMapped` when the mapped file is now shorter
    /// than its mapping, so a reader stops before touching a page past its
    /// end (SIGBUS). Bytes in memory never change.
    public func checkStillWhole() throws(SafeTensorsError) {
        guard case .mapped(let f) = storage, let now = f.currentSize, now < f.size else { return }
        throw .truncatedWhileMapped(file: name, mappedSize: f.size, size: now)
    }

    public var byteCount: Int {
        switch storage {
        case .mapped(let f): return f.size
        case .memory(let d): return d.count
        }
    }

    public func info(_ tensor: String) -> TensorInfo? {
        byName[tensor].map { tensors[$0] }
    }

    /// Calls `body` with the raw little-endian bytes of `tensor`.
    public func withRawBytes<R>(_ tensor: String, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        guard let info = info(tensor) else {
            throw SafeTensorsError.missingTensor(file: name, tensor: tensor)
        }
        return try withRawBytes(info, body)
    }

    func withRawBytes<R>(_ info: TensorInfo, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        let start = dataStart + info.dataOffsets.lowerBound
        switch storage {
        case .mapped(let file):
            return try body(UnsafeRawBufferPointer(rebasing: file.bytes[start..<(start + info.byteCount)]))
        case .memory(let data):
            return try data.withUnsafeBytes { all in
                try body(UnsafeRawBufferPointer(rebasing: all[start..<(start + info.byteCount)]))
            }
        }
    }

    /// The tensor's values as F32 (F32, F16, BF16 or F64 in the file; exact
    /// except F64 → F32, which rounds).
    public func floats(_ tensor: String) throws -> [Float] {
        guard let info = info(tensor) else {
            throw SafeTensorsError.missingTensor(file: name, tensor: tensor)
        }
        guard info.dtype.isFloatingPoint else {
            throw SafeTensorsError.notFloatingPoint(file: name, tensor: tensor, dtype: info.dtype.rawValue)
        }
        var out = [Float](repeating: 0, count: info.elementCount)
        out.withUnsafeMutableBufferPointer { dst in
            withRawBytes(info) { src in Self.decode(src, dtype: info.dtype, into: dst) }
        }
        return out
    }

    /// Converts little-endian `src` of `dtype` into F32. The data section
    /// carries no alignment guarantee, so every load is unaligned.
    static func decode(_ src: UnsafeRawBufferPointer, dtype: DType, into dst: UnsafeMutableBufferPointer<Float>) {
        let n = dst.count
        switch dtype {
        case .f32:
            if let base = src.baseAddress, n > 0 {
                UnsafeMutableRawPointer(dst.baseAddress!).copyMemory(from: base, byteCount: n * 4)
            }
        case .f16:
            for i in 0..<n { dst[i] = FloatConversion.f16ToFloat(UInt16(littleEndian: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) }
        case .bf16:
            for i in 0..<n { dst[i] = FloatConversion.bf16ToFloat(UInt16(littleEndian: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) }
        case .f64:
            for i in 0..<n { dst[i] = Float(Double(bitPattern: UInt64(littleEndian: src.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)))) }
        default:
            break   // callers check isFloatingPoint first
        }
    }
}
