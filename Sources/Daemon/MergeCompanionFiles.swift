import Foundation
import SafeTensors

/// The files of a model folder that go beside merged weights (transformers'
/// `save_pretrained` set, as `lorad merge` copies them), served by
/// `GET /adapters/NAME/merge/FILE`.
public enum MergeCompanionFiles {
    public static let names = ["config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json",
                               "special_tokens_map.json", "tokenizer.model", "chat_template.jinja"]

    /// The file's bytes; config.json with `torch_dtype`/`dtype` set to `dtype`
    /// when one is requested (what `lorad merge --dtype` writes).
    static func contents(_ file: String, folder: URL, dtype: DType?) throws -> Data {
        guard names.contains(file) else {
            throw APIError.notFound("'\(file)' is not a model file served beside merged weights (one of \(names.joined(separator: ", ")))")
        }
        let url = folder.appendingPathComponent(file)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw APIError.notFound("the base model folder has no \(file)")
        }
        let data = try Data(contentsOf: url)
        guard file == "config.json", let dtype else { return data }
        return try rewritingDType(data, dtype)
    }

    /// config.json with its dtype field (`torch_dtype` in transformers 4.x,
    /// `dtype` in 5.x) set to `dtype`'s PyTorch name — the same rewrite as
    /// `lorad merge --dtype` (Sources/lorad/MergeCommand.swift).
    static func rewritingDType(_ data: Data, _ dtype: DType) throws -> Data {
        guard var json = try JSONSerialization.jsonObject(with: data) as? [String: Any] else { return data }
        let name: String
        switch dtype {
        case .bf16: name = "bfloat16"
        case .f16: name = "float16"
        default: name = "float32"
        }
        var wrote = false
        for key in ["torch_dtype", "dtype"] where json[key] != nil {
            json[key] = name
            wrote = true
        }
        if !wrote { json["torch_dtype"] = name }
        return try JSONSerialization.data(withJSONObject: json, options: [.prettyPrinted, .sortedKeys])
    }
}
