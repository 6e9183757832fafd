import Foundation
import Kernels
import SafeTensors

/// A minimal GGUF (version 3) writer: enough for llama.cpp's `llama-bench` to
/// load a model of the synthetic checkpoint's shape, so `lorad-bench peer`
/// times llama.cpp on the very weights lorad serves.
///
/// The format, as llama.cpp's `gguf` reader expects it (little-endian):
/// magic `GGUF`, version u32, tensor count u64, key-value count u64; each
/// key-value as key string (u64 length + UTF-8), value type u32, value;
/// each tensor's info as name string, dimension count u32, dimensions u64
/// innermost first, ggml type u32, data offset u64 (relative to the data
/// section, a multiple of the alignment); padding to `alignment`; the data.
struct GGUFWriter {
    /// `general.alignment`'s default: every tensor's data starts on 32 bytes.
    static let alignment = 32

    /// ggml's tensor types (the `ggml_type` enum values).
    enum TensorType: UInt32 {
        case f32 = 0, f16 = 1, bf16 = 30

        /// The type a lorad weight format is written as.
        init(_ format: WeightFormat) {
            switch format {
            case .f32: self = .f32
            case .bf16: self = .bf16
            case .f16: self = .f16
            }
        }

        var byteSize: Int { self == .f32 ? 4 : 2 }
        /// The safetensors dtype whose encoding is the same bytes.
        var dtype: DType {
            switch self {
            case .f32: return .f32
            case .bf16: return .bf16
            case .f16: return .f16
            }
        }
        /// `general.file_type` of a model whose matrices are this type
        /// (llama.cpp's `llama_ftype`: ALL_F32 0, MOSTLY_F16 1, MOSTLY_BF16 32).
        var fileType: UInt32 {
            switch self {
            case .f32: return 0
            case .f16: return 1
            case .bf16: return 32
            }
        }
    }

    /// A metadata value; the raw values are GGUF's value types.
    enum Value {
        case uint32(UInt32), int32(Int32), float32(Float), string(String)
        case strings([String]), float32s([Float]), int32s([Int32])
    }

    struct Tensor {
        let name: String
        /// Outermost first, as PyTorch and safetensors write it: (out, in).
        let shape: [Int]
        let type: TensorType
        /// Produces the tensor's bytes in `type`, row-major, when written.
        let bytes: () throws -> [UInt8]

        var byteCount: Int { shape.reduce(1, *) * type.byteSize }
    }

    var metadata: [(key: String, value: Value)] = []
    var tensors: [Tensor] = []

    func write(to url: URL) throws {
        var head: [UInt8] = []
        head.append(contentsOf: Array("GGUF".utf8))
        Self.append(UInt32(3), to: &head)
        Self.append(UInt64(tensors.count), to: &head)
        Self.append(UInt64(metadata.count), to: &head)
        for (key, value) in metadata {
            Self.append(key, to: &head)
            Self.append(value, to: &head)
        }
        var offset = 0
        for t in tensors {
            Self.append(t.name, to: &head)
            Self.append(UInt32(t.shape.count), to: &head)
            for d in t.shape.reversed() { Self.append(UInt64(d), to: &head) }
            Self.append(t.type.rawValue, to: &head)
            Self.append(UInt64(offset), to: &head)
            offset += Self.padded(t.byteCount)
        }
        head.append(contentsOf: [UInt8](repeating: 0, count: Self.padded(head.count) - head.count))

        _ = FileManager.default.createFile(atPath: url.path, contents: nil)
        let handle = try FileHandle(forWritingTo: url)
        defer { try? handle.close() }
        try handle.write(contentsOf: head)
        for t in tensors {
            var data = try t.bytes()
            guard data.count == t.byteCount else {
                throw BenchError.failed("GGUF tensor \(t.name): \(data.count) bytes, expected \(t.byteCount)")
            }
            data.append(contentsOf: [UInt8](repeating: 0, count: Self.padded(data.count) - data.count))
            try handle.write(contentsOf: data)
        }
    }

    private static func padded(_ n: Int) -> Int { (n + alignment - 1) / alignment * alignment }

    private static func append<T: FixedWidthInteger>(_ v: T, to out: inout [UInt8]) {
        withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) }
    }

    private static func append(_ s: String, to out: inout [UInt8]) {
        let utf8 = Array(s.utf8)
        append(UInt64(utf8.count), to: &out)
        out.append(contentsOf: utf8)
    }

    /// GGUF value types: UINT32 4, INT32 5, FLOAT32 6, STRING 8, ARRAY 9
    /// (an array is its element type u32, its count u64, then the elements).
    private static func append(_ value: Value, to out: inout [UInt8]) {
        switch value {
        case .uint32(let v): append(UInt32(4), to: &out); append(v, to: &out)
        case .int32(let v): append(UInt32(5), to: &out); append(v, to: &out)
        case .float32(let v): append(UInt32(6), to: &out); append(v.bitPattern, to: &out)
        case .string(let s): append(UInt32(8), to: &out); append(s, to: &out)
        case .strings(let list):
            append(UInt32(9), to: &out); append(UInt32(8), to: &out); append(UInt64(list.count), to: &out)
            for s in list { append(s, to: &out) }
        case .float32s(let list):
            append(UInt32(9), to: &out); append(UInt32(6), to: &out); append(UInt64(list.count), to: &out)
            for v in list { append(v.bitPattern, to: &out) }
        case .int32s(let list):
            append(UInt32(9), to: &out); append(UInt32(5), to: &out); append(UInt64(list.count), to: &out)
            for v in list { append(v, to: &out) }
        }
    }
}
