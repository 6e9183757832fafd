import FileReading
import Foundation
import OrderedJSON

/// The weights of a Hugging Face model folder: `model.safetensors`, or the
/// shards listed by `model.safetensors.index.json` (`{"weight_map": {tensor: shard}}`,
/// as written by transformers' `save_pretrained` with `max_shard_size`).
public final class Checkpoint: Sendable {
    public let folder: URL
    /// Every file, in shard order.
    public let files: [SafeTensorsFile]
    private let location: [String: Int]   // tensor → index into files

    public init(folder: URL) throws {
        self.folder = folder
        let fm = FileManager.default
        let index = folder.appendingPathComponent("model.safetensors.index.json")
        let single = folder.appendingPathComponent("model.safetensors")
        if fm.fileExists(atPath: index.path) {
            (files, location) = try Self.openSharded(index: index, folder: folder)
        } else if fm.fileExists(atPath: single.path) {
            let file = try SafeTensorsFile(contentsOf: single)
            files = [file]
            var location: [String: Int] = [:]
            for t in file.tensors { location[t.name] = 0 }
            self.location = location
        } else {
            throw SafeTensorsError.noWeights(folder: folder.path)
        }
    }

    private static func openSharded(index: URL, folder: URL) throws -> ([SafeTensorsFile], [String: Int]) {
        let data: Data
        do { data = try RegularFile.read(index.path, limit: .modelFile) } catch {
            throw SafeTensorsError.unreadable(error)
        }
        let root: JSONValue
        do { root = try JSONValue.parse(data) } catch {
            throw SafeTensorsError.invalidIndex(file: index.path, reason: "not JSON: \(error)")
        }
        guard case .object(let weightMap)? = root["weight_map"], !weightMap.isEmpty else {
            throw SafeTensorsError.invalidIndex(file: index.path, reason: "missing or empty 'weight_map'")
        }
        var shardNames: [String] = []
        var shardIndex: [String: Int] = [:]
        var expected: [String: String] = [:]
        for (tensor, value) in weightMap {
            guard case .string(let shard) = value else {
                throw SafeTensorsError.invalidIndex(file: index.path, reason: "weight_map['\(tensor)'] is not a file name")
            }
            // A shard must be a plain file name inside the folder.
            guard !shard.contains("/"), shard != "..", shard != "." else {
                throw SafeTensorsError.invalidIndex(file: index.path, reason: "shard '\(shard)' is not a file in the folder")
            }
            expected[tensor] = shard
            if shardIndex[shard] == nil { shardIndex[shard] = 0; shardNames.append(shard) }
        }
        shardNames.sort()
        var files: [SafeTensorsFile] = []
        var location: [String: Int] = [:]
        var owner: [String: String] = [:]
        for (i, shard) in shardNames.enumerated() {
            let file = try SafeTensorsFile(contentsOf: folder.appendingPathComponent(shard))
            files.append(file)
            for t in file.tensors {
                if let other = owner[t.name] {
                    throw SafeTensorsError.duplicateTensor(tensor: t.name, files: [other, shard])
                }
                owner[t.name] = shard
                location[t.name] = i
            }
        }
        for (tensor, shard) in expected.sorted(by: { $0.key < $1.key }) where owner[tensor] != shard {
            throw SafeTensorsError.missingTensor(file: folder.appendingPathComponent(shard).path, tensor: tensor)
        }
        return (files, location)
    }

    /// Each file as it was opened (`FileIdentity`), in shard order.
    public var identities: [FileIdentity] { files.compactMap(\.identity) }

    /// `SafeTensorsFile.checkStillWhole` for every file.
    public func checkStillWhole() throws {
        for file in files { try file.checkStillWhole() }
    }

    /// Every tensor name, sorted.
    public var tensorNames: [String] { location.keys.sorted() }

    public func info(_ tensor: String) -> TensorInfo? {
        location[tensor].flatMap { files[$0].info(tensor) }
    }

    public func file(containing tensor: String) throws -> SafeTensorsFile {
        guard let i = location[tensor] else {
            throw SafeTensorsError.missingTensor(file: folder.path, tensor: tensor)
        }
        return files[i]
    }

    public func floats(_ tensor: String) throws -> [Float] {
        try file(containing: tensor).floats(tensor)
    }

    public func withRawBytes<R>(_ tensor: String, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        try file(containing: tensor).withRawBytes(tensor, body)
    }

    /// The dtype of the floating-point weights (of the first such tensor in
    /// name order); merge export writes this dtype by default.
    public var dtype: DType? {
        for name in tensorNames {
            if let t = info(name), t.dtype.isFloatingPoint { return t.dtype }
        }
        return nil
    }
}
