import Foundation
import TestSupport

/// PEFT-format adapter files written by the tests (bad ones on purpose, or
/// large ones), next to the fixture adapters.
enum AdapterFiles {
    /// The tiny fixture model's linears: (out, in) per PEFT module path suffix.
    static let shapes: [(module: String, out: Int, in: Int)] = [
        ("self_attn.q_proj", 128, 128), ("self_attn.k_proj", 64, 128), ("self_attn.v_proj", 64, 128),
        ("self_attn.o_proj", 128, 128), ("mlp.gate_proj", 344, 128), ("mlp.up_proj", 344, 128),
        ("mlp.down_proj", 128, 344),
    ]
    static let layers = 4

    static var fixtureConfig: URL { Fixtures.adapter("python-qv-r8").appendingPathComponent("adapter_config.json") }
    static var fixtureWeights: URL { Fixtures.adapter("python-qv-r8").appendingPathComponent("adapter_model.safetensors") }

    /// A safetensors file of F32 tensors filled with `value` (header per the
    /// safetensors spec: u64 LE header length, JSON header, data).
    static func safetensors(_ tensors: [(name: String, shape: [Int])], value: Float = 0.01) -> Data {
        var header: [String: Any] = ["__metadata__": ["format": "pt"]]
        var offset = 0
        for t in tensors {
            let bytes = t.shape.reduce(1, *) * 4
            header[t.name] = ["dtype": "F32", "shape": t.shape, "data_offsets": [offset, offset + bytes]]
            offset += bytes
        }
        var json = (try? JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])) ?? Data()
        while json.count % 8 != 0 { json.append(0x20) }
        var out = Data(capacity: 8 + json.count + offset)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(json)
        let pattern = withUnsafeBytes(of: value.bitPattern.littleEndian) { Array($0) }
        out.append(contentsOf: [UInt8]((0..<(offset / 4)).flatMap { _ in pattern }))
        return out
    }

    /// The tensors of a LoRA adapter on `modules` (module path suffixes) of every layer.
    static func loraTensors(rank: Int, modules: [String], inOverride: Int? = nil) -> [(name: String, shape: [Int])] {
        var tensors: [(name: String, shape: [Int])] = []
        for layer in 0..<layers {
            for s in shapes where modules.contains(s.module) {
                let path = "base_model.model.model.layers.\(layer).\(s.module)"
                tensors.append((path + ".lora_A.weight", [rank, inOverride ?? s.in]))
                tensors.append((path + ".lora_B.weight", [s.out, rank]))
            }
        }
        return tensors
    }

    static func config(rank: Int, alpha: Int, targets: [String], extra: String = "") -> String {
        let list = targets.map { "\"\($0)\"" }.joined(separator: ", ")
        return """
        {"peft_type": "LORA", "r": \(rank), "lora_alpha": \(alpha), "target_modules": [\(list)],
         "bias": "none", "use_dora": false, "use_rslora": false, "fan_in_fan_out": false,
         "lora_dropout": 0.0, "modules_to_save": null\(extra.isEmpty ? "" : ", " + extra)}
        """
    }

    /// The fixture config with one top-level field replaced.
    static func fixtureConfig(replacing field: String, with json: String) throws -> String {
        let text = try String(contentsOf: fixtureConfig, encoding: .utf8)
        let pattern = try NSRegularExpression(pattern: "\"\(field)\": [^,\\n]+")
        let range = NSRange(text.startIndex..., in: text)
        return pattern.stringByReplacingMatches(in: text, range: range, withTemplate: "\"\(field)\": \(json)")
    }

    static func write(_ text: String, _ name: String, in dir: URL) throws -> URL {
        let url = dir.appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        return url
    }

    static func write(_ data: Data, _ name: String, in dir: URL) throws -> URL {
        let url = dir.appendingPathComponent(name)
        try data.write(to: url)
        return url
    }
}
