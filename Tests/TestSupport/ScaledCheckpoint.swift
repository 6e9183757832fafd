import Foundation
import SafeTensors

/// A copy of a fixture model with one tensor scaled: a base whose values a
/// 16-bit format cannot hold, for the range checks of merges and loads; or
/// with extra tensors appended: a base a merge takes longer to write.
public enum ScaledCheckpoint {
    /// An extra tensor to write after the source's: (name, shape, F32 values).
    public typealias Extra = (name: String, shape: [Int], values: [Float])

    /// One element to overwrite: (tensor name, flat index, value).
    public typealias Poke = (tensor: String, index: Int, value: Float)

    /// Writes `source`'s weights to `folder`/model.safetensors as F32 with
    /// `tensor` (if any) multiplied by `factor`, the `poked` elements set and
    /// `extra` appended, beside copies of its config and tokenizer files.
    public static func write(from source: URL, scaling tensor: String? = nil, by factor: Float = 1, poking poked: [Poke] = [],
                             appending extra: [Extra] = [], to folder: URL) throws {
        let original = try Checkpoint(folder: source)
        let tensors = try original.tensorNames.map { name in
            guard let info = original.info(name) else { throw SafeTensorsError.missingTensor(file: source.path, tensor: name) }
            var values = try original.floats(name)
            if name == tensor { values = values.map { $0 * factor } }
            for poke in poked where poke.tensor == name { values[poke.index] = poke.value }
            return (name: name, dtype: DType.f32, shape: info.shape, values: values)
        } + extra.map { (name: $0.name, dtype: DType.f32, shape: $0.shape, values: $0.values) }
        try SafeTensorsWriter.write(tensors, metadata: ["format": "pt"], to: folder.appendingPathComponent("model.safetensors"))
        for file in ["config.json", "tokenizer.json", "tokenizer_config.json"]
        where FileManager.default.fileExists(atPath: source.appendingPathComponent(file).path) {
            try FileManager.default.copyItem(at: source.appendingPathComponent(file), to: folder.appendingPathComponent(file))
        }
    }
}
