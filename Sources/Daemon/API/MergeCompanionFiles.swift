import Foundation
import LoRA
import SafeTensors

/// The files of a model folder that go beside merged weights (transformers'
/// `save_pretrained` set, as `lorad merge` copies them), served by
/// `GET /adapters/NAME/merge/FILE`.
public enum MergeCompanionFiles {
    public static var names: [String] { MergedFolder.companionFiles }

    /// The file's bytes; config.json with `torch_dtype`/`dtype` set to `dtype`
    /// when one is requested (what `lorad merge --dtype` writes).
    static func contents(_ file: String, folder: URL, dtype: DType?) throws -> Data {
        guard names.contains(file) else {
            throw APIError.notFound("'\(file)' is not a model file served beside merged weights (one of \(names.joined(separator: ", ")))")
        }
        guard let data = try MergedFolder.companion(file, in: folder, dtype: dtype) else {
            throw APIError.notFound("the base model folder has no \(file)")
        }
        return data
    }
}
