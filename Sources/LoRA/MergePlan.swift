import Foundation
import SafeTensors

/// A base checkpoint with adapters folded in, produced tensor by tensor so
/// `lorad merge` and `POST /adapters/NAME/merge` can stream the result without
/// ever holding a second copy of the model: at most one merged tensor is in
/// memory at a time.
///
/// The output has the checkpoint's tensor names, shapes and dtypes (so
/// transformers loads it with the base `config.json`). Untouched tensors are
/// copied byte for byte; merged ones are computed in F32 (W0 + Σ w·s·B·A, or
/// for a DoRA adapter g ⊙ (W0 + w·s·B·A), `LoRAMerge.mergedWeight`) and
/// rounded back to the tensor's dtype (F16/BF16 round to nearest even).
public struct MergePlan: Sendable {
    public let base: Checkpoint
    public let adapters: [AdapterUse]
    /// The dtype of every floating-point tensor in the output; nil keeps each
    /// tensor's checkpoint dtype (`lorad merge --dtype`, `?dtype=`).
    public let outputDType: DType?
    /// Checkpoint tensor name → the linear it is, for the tensors an adapter touches.
    let merged: [String: LinearID]

    /// - Throws: `AdapterError.baseMismatch` if an adapted linear is absent from the
    ///   checkpoint, has another shape, or is not floating point;
    ///   `.doraCombination` for a DoRA adapter mixed with others.
    public init(base: Checkpoint, adapters: [AdapterUse], outputDType: DType? = nil) throws {
        try AdapterUse.checkCombination(adapters)
        if let outputDType, ![.f32, .f16, .bf16].contains(outputDType) {
            throw AdapterError.baseMismatch(tensor: "*", reason: "cannot write merged weights as \(outputDType.rawValue) (F32, F16 or BF16)")
        }
        var merged: [String: LinearID] = [:]
        var ids = Set<LinearID>()
        for use in adapters where use.isActive { ids.formUnion(use.adapter.modules.keys) }
        for id in ids {
            guard let info = base.info(id.weightName) else {
                throw AdapterError.baseMismatch(tensor: id.weightName, reason: "is not in the base checkpoint")
            }
            for use in adapters {
                guard let m = use.adapter.modules[id] else { continue }
                guard info.shape == [m.outFeatures, m.inFeatures] else {
                    throw AdapterError.baseMismatch(
                        tensor: id.weightName,
                        reason: "has shape \(info.shape); adapter '\(use.adapter.name)' expects [\(m.outFeatures), \(m.inFeatures)]")
                }
            }
            guard [.f32, .f16, .bf16].contains(info.dtype) else {
                throw AdapterError.baseMismatch(tensor: id.weightName, reason: "has dtype \(info.dtype.rawValue)")
            }
            merged[id.weightName] = id
        }
        self.base = base
        self.adapters = adapters
        self.outputDType = outputDType
        self.merged = merged
    }

    /// Every tensor of the output, in the checkpoint's (sorted) name order.
    public var tensorNames: [String] { base.tensorNames }

    /// Whether `name` is changed by the merge.
    public func isMerged(_ name: String) -> Bool { merged[name] != nil }

    /// The output tensor as F32: merged if an adapter touches it, else the original values.
    public func floats(_ name: String) throws -> [Float] {
        let values = try base.floats(name)
        guard let id = merged[name] else { return values }
        return try LoRAMerge.mergedWeight(base: values, adapters: adapters, id: id)
    }

    /// The output tensor's bytes in its checkpoint dtype: the original bytes
    /// verbatim when untouched, else the merged values encoded.
    /// - Throws: `MergeValueError.nonFiniteBase` for a base tensor holding NaN
    ///   or infinity (a damaged checkpoint: nothing of it is passed on);
    ///   `SafeTensorsError.invalidWriterEntry` for values the dtype cannot hold.
    public func bytes(_ name: String) throws -> [UInt8] {
        guard let info = base.info(name) else {
            throw AdapterError.baseMismatch(tensor: name, reason: "is not in the base checkpoint")
        }
        let dtype = self.dtype(of: info)
        if info.dtype.isFloatingPoint { try checkFinite(name, info) }
        guard merged[name] != nil || dtype != info.dtype else {
            return try base.withRawBytes(name) { [UInt8]($0) }
        }
        return try SafeTensorsWriter.encode(try floats(name), as: dtype, tensor: name)
    }

    /// The output dtype of a checkpoint tensor: `outputDType` for floating
    /// point ones when set, else unchanged.
    func dtype(of info: TensorInfo) -> DType {
        guard let outputDType, info.dtype.isFloatingPoint else { return info.dtype }
        return outputDType
    }

    /// The writer for the output file: every tensor with its checkpoint dtype and shape,
    /// and metadata `format: pt` as transformers' `save_pretrained` writes.
    public func writer() throws -> SafeTensorsWriter {
        let entries = try tensorNames.map { name -> SafeTensorsWriter.Entry in
            guard let info = base.info(name) else {
                throw AdapterError.baseMismatch(tensor: name, reason: "is not in the base checkpoint")
            }
            return SafeTensorsWriter.Entry(name: name, dtype: dtype(of: info), shape: info.shape)
        }
        var metadata = base.files.first?.metadata ?? [:]
        metadata["format"] = "pt"
        return try SafeTensorsWriter(entries: entries, metadata: metadata)
    }

    /// Size in bytes of the merged file (for a download's Content-Length), without computing it.
    public func outputByteCount() throws -> Int { try writer().byteCount }

    /// Streams the merged `.safetensors` to `sink` in chunks (header, then one tensor at a time).
    public func serialize(into sink: ([UInt8]) throws -> Void) throws {
        try writer().serialize(into: sink) { entry in try bytes(entry.name) }
    }

    /// Writes the merged `.safetensors` file to `url`.
    public func write(to url: URL) throws {
        try writer().write(to: url) { entry in try bytes(entry.name) }
    }
}
