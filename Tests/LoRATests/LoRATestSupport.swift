import Foundation
import LoRA
import SafeTensors
import TestSupport
import Testing

/// Shared builders for the LoRA tests: base shapes, fixture adapters, and
/// hand-made (mutated) adapters for the refusal tests.
enum LoRATestSupport {
    /// The tiny-llama linears as its config.json describes them (hidden 128,
    /// intermediate 344, 4 heads × 32, 2 kv heads, 4 layers) — written out by
    /// hand so it is a second source next to the checkpoint's own shapes.
    static let tinyLlamaShapes: [LinearID: LinearShape] = {
        let dims: [LinearKind: (Int, Int)] = [
            .q: (128, 128), .k: (64, 128), .v: (64, 128), .o: (128, 128),
            .gate: (344, 128), .up: (344, 128), .down: (128, 344),
        ]
        var shapes: [LinearID: LinearShape] = [:]
        for layer in 0..<4 {
            for (kind, (out, inF)) in dims {
                shapes[LinearID(layer: layer, kind: kind)] = LinearShape(outFeatures: out, inFeatures: inF)
            }
        }
        return shapes
    }()

    static func configData(_ adapter: String) throws -> Data {
        try Data(contentsOf: Fixtures.adapter(adapter).appendingPathComponent("adapter_config.json"))
    }

    static func weightsData(_ adapter: String) throws -> Data {
        try Data(contentsOf: Fixtures.adapter(adapter).appendingPathComponent("adapter_model.safetensors"))
    }

    static func load(_ adapter: String) throws -> LoadedAdapter {
        try AdapterLoader.load(name: adapter, folder: Fixtures.adapter(adapter), base: tinyLlamaShapes)
    }

    /// The fixture config with some top-level fields replaced (NSNull() = JSON null).
    static func config(_ adapter: String = "python-qv-r8", setting changes: [String: Any]) throws -> Data {
        var object = try #require(try JSONSerialization.jsonObject(with: configData(adapter)) as? [String: Any])
        for (key, value) in changes { object[key] = value }
        return try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    }

    /// A minimal valid LoRA config written by hand (keys in the order given — matters for patterns).
    static func configJSON(_ fields: String) -> Data {
        Data("{\"peft_type\": \"LORA\", \(fields)}".utf8)
    }

    /// One tensor of a hand-made adapter file.
    struct Tensor {
        var name: String
        var dtype: DType
        var shape: [Int]
        var values: [Float]
        /// Raw little-endian bytes to write instead of encoding `values` (for non-float dtypes).
        var raw: [UInt8]? = nil
    }

    /// Every tensor of a fixture adapter, as F32 values, in file order.
    static func tensors(_ adapter: String) throws -> [Tensor] {
        let file = try SafeTensorsFile(data: weightsData(adapter), name: adapter)
        return try file.tensors.map { Tensor(name: $0.name, dtype: $0.dtype, shape: $0.shape, values: try file.floats($0.name)) }
    }

    /// Serialises tensors to safetensors bytes in memory (what an upload carries).
    static func safetensors(_ tensors: [Tensor]) throws -> Data {
        let writer = try SafeTensorsWriter(
            entries: tensors.map { SafeTensorsWriter.Entry(name: $0.name, dtype: $0.dtype, shape: $0.shape) },
            metadata: ["format": "pt"])
        var out = Data()
        let byName = Dictionary(tensors.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        try writer.serialize(into: { out.append(contentsOf: $0) }) { entry in
            if let raw = byName[entry.name]?.raw { return raw }
            return try SafeTensorsWriter.encode(byName[entry.name]?.values ?? [], as: entry.dtype, tensor: entry.name)
        }
        return out
    }

    /// Loads a (possibly mutated) adapter from bytes against tiny-llama.
    static func load(config: Data, tensors: [Tensor], name: String = "test") throws -> LoadedAdapter {
        try AdapterLoader.load(name: name, configJSON: config, safetensors: try safetensors(tensors), base: tinyLlamaShapes)
    }

    /// The PEFT key of a tiny-llama module's factor.
    static func key(_ layer: Int, _ kind: LinearKind, _ factor: String) -> String {
        "base_model.model.\(LinearID(layer: layer, kind: kind).modulePath).\(factor).weight"
    }

    /// Deterministic pseudo-random values in [-1, 1) (xorshift; no global RNG state).
    static func values(_ count: Int, seed: UInt64) -> [Float] {
        var s = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        return (0..<count).map { _ in
            s ^= s << 13; s ^= s >> 7; s ^= s << 17
            return Float(s >> 40) / Float(1 << 23) - 1
        }
    }
}
