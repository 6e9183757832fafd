import FileReading
import Foundation
import OrderedJSON
import SafeTensors

/// What goes beside merged weights so the result is a complete Hugging Face
/// model folder (transformers' `save_pretrained` set). Shared by `lorad merge`
/// and `GET /adapters/NAME/merge/FILE`, so both write the same bytes.
public enum MergedFolder {
    /// Files copied from the base folder when present.
    public static let companionFiles = ["config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json",
                                        "special_tokens_map.json", "tokenizer.model", "chat_template.jinja"]

    /// A companion file's bytes from the base folder (nil when the folder has
    /// none); `config.json` gets its dtype rewritten when `dtype` is given.
    /// - Throws: `FileReadError` naming the file (a FIFO, a directory, more
    ///   than `FileSizeLimit.modelFile`).
    public static func companion(_ file: String, in folder: URL, dtype: DType?) throws -> Data? {
        try RegularFile.readIfPresent(folder.appendingPathComponent(file).path, limit: .modelFile)
            .map { try companion(file, data: $0, dtype: dtype) }
    }

    /// A companion file's bytes `data` as a merged folder holds them:
    /// config.json's dtype set to `dtype` when one is given, others as they are.
    public static func companion(_ file: String, data: Data, dtype: DType?) throws -> Data {
        guard file == "config.json", let dtype else { return data }
        return try configJSON(data, dtype: dtype)
    }

    /// config.json with its dtype field (`torch_dtype` in transformers 4.x,
    /// `dtype` in 5.x) set to `dtype`'s PyTorch name; every other member keeps
    /// its place and value. Written as transformers writes config.json
    /// (`json.dumps(indent=2)` plus a newline). A file that is not a JSON
    /// object is passed through unchanged.
    public static func configJSON(_ data: Data, dtype: DType) throws -> Data {
        guard case .object(var members)? = try? JSONValue.parse(data) else { return data }
        let name: JSONValue
        switch dtype {
        case .bf16: name = .string("bfloat16")
        case .f16: name = .string("float16")
        default: name = .string("float32")
        }
        var wrote = false
        for i in members.indices where members[i].key == "torch_dtype" || members[i].key == "dtype" {
            members[i].value = name
            wrote = true
        }
        if !wrote { members.append((key: "torch_dtype", value: name)) }
        return Data((JSONValue.object(members).serialized(indent: 2) + "\n").utf8)
    }
}
