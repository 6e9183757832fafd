import FileReading
import Foundation
import SafeTensors

/// Loads a PEFT LoRA adapter and validates it against a base model before
/// building anything, so a bad upload is refused whole with an error that
/// names the field or tensor at fault (`AdapterError`).
///
/// Checks, in order: the config (see `LoRAConfig`); the declared base's
/// family, when the base's identity is given (`BaseModelIdentity`); every
/// tensor name is a LoRA factor (or DoRA magnitude vector) of a linear this
/// base model has and the config selects; every A has its B and the reverse;
/// A is (r, in) and B is (out, r) for the base's (out, in) with r the config's
/// (pattern-resolved) rank; with `use_dora`, every adapted module has a
/// magnitude vector of shape (out) and nothing else has one, without it no
/// magnitude vector at all; dtype F32/F16/BF16; no NaN/Inf; at least one
/// module. Modules the config selects but the file lacks are simply not
/// adapted (PEFT would leave them at B = 0, a zero delta; a DoRA module so
/// initialised has m = ‖W0‖, g = 1). A DoRA adapter's factors are then
/// computed against `base`'s W0 (`DoRAFactors`), which refuses a row whose
/// norm is zero.
public enum AdapterLoader {
    /// File names PEFT's `save_pretrained` writes (peft/utils/constants.py).
    public static let configFileName = "adapter_config.json"
    public static let weightsFileName = "adapter_model.safetensors"

    /// Loads `adapter_config.json` + `adapter_model.safetensors` from a folder.
    /// - Parameters:
    ///   - name: the name the adapter is served under.
    ///   - base: the base model's linears: their (out, in) shapes, and their
    ///     values for a DoRA adapter.
    ///   - identity: the base's family and names, when known: an adapter whose
    ///     `base_model_name_or_path` names another family is refused.
    public static func load(name: String, folder: URL, base: some BaseLinears,
                            identity: BaseModelIdentity? = nil) throws -> LoadedAdapter {
        let configURL = folder.appendingPathComponent(configFileName)
        let weightsURL = folder.appendingPathComponent(weightsFileName)
        let configData: Data
        do { configData = try RegularFile.read(configURL.path, limit: .adapterConfig) } catch {
            throw AdapterError.missingFile(path: configURL.path, reason: error.reason)
        }
        guard FileManager.default.fileExists(atPath: weightsURL.path) else {
            let bin = folder.appendingPathComponent("adapter_model.bin").path
            let reason = FileManager.default.fileExists(atPath: bin)
                ? "only adapter_model.bin (pickle) is present; convert it to safetensors"
                : "the adapter weights file is missing"
            throw AdapterError.missingFile(path: weightsURL.path, reason: reason)
        }
        let config = try LoRAConfig(json: configData)
        let weights: SafeTensorsFile
        do { weights = try SafeTensorsFile(contentsOf: weightsURL, limits: headerLimits(base: base.linearShapes)) } catch {
            throw weightsError(error)
        }
        return try load(name: name, config: config, weights: weights, base: base, identity: identity)
    }

    /// Loads an adapter from the two uploaded files' bytes.
    /// - Parameter storedFactors: DoRA factors kept from an earlier load
    ///   against this very base (`DoRAFactorTable`): a module's factor is
    ///   taken from it when it fits (`DoRAFactorTable.factor(for:magnitude:)`),
    ///   computed otherwise. Everything else is validated as always.
    public static func load(name: String, configJSON: Data, safetensors: Data,
                            base: some BaseLinears, identity: BaseModelIdentity? = nil,
                            storedFactors: DoRAFactorTable? = nil) throws -> LoadedAdapter {
        let (config, weights) = try parse(configJSON: configJSON, safetensors: safetensors, base: base)
        return try load(name: name, config: config, weights: weights, base: base, identity: identity,
                        storedFactors: storedFactors)
    }

    /// The uploaded config and the weights file's header (values not read yet).
    static func parse(configJSON: Data, safetensors: Data, base: some BaseLinears) throws -> (LoRAConfig, SafeTensorsFile) {
        let config = try LoRAConfig(json: configJSON)
        do {
            return (config, try SafeTensorsFile(data: safetensors, name: weightsFileName, limits: headerLimits(base: base.linearShapes)))
        } catch {
            throw weightsError(error)
        }
    }

    /// Validates `weights` against `config` and `base`, then converts to F32
    /// (and computes DoRA factors against `base`).
    public static func load(name: String, config: LoRAConfig, weights: SafeTensorsFile,
                            base: some BaseLinears, identity: BaseModelIdentity? = nil,
                            storedFactors: DoRAFactorTable? = nil) throws -> LoadedAdapter {
        var modules: [LinearID: LoRAModule] = [:]
        let (info, factorsReused) = try decodeModules(config: config, weights: weights, base: base, identity: identity,
                                                      storedFactors: storedFactors) { id, module in modules[id] = module }
        let weighting = config.useDoRA ? DoRAWeighting(base: base) : nil
        return LoadedAdapter(adapter: LoRAAdapter(name: name, modules: modules, weighting: weighting), info: info,
                             config: config, factorsReused: factorsReused)
    }

    /// Every check `load` makes and what storing the adapter needs from them
    /// (its description, its DoRA factors), without keeping the F32 modules:
    /// each module's A, B and Bᵀ are decoded, checked and dropped before the
    /// next, where keeping them all costs about 3× a 16-bit file on top of
    /// the file (an upload of 240 MB held 1 GB).
    public static func validate(configJSON: Data, safetensors: Data, base: some BaseLinears,
                                identity: BaseModelIdentity? = nil) throws -> ValidatedAdapter {
        let (config, weights) = try parse(configJSON: configJSON, safetensors: safetensors, base: base)
        var factors: [LinearID: [Float]] = [:]
        let (info, _) = try decodeModules(config: config, weights: weights, base: base, identity: identity,
                                          storedFactors: nil) { id, module in factors[id] = module.doraFactor }
        return ValidatedAdapter(info: info, config: config, doraFactors: DoRAFactorTable(factors: factors))
    }

    /// Validates, then decodes each module in (layer, kind) order and hands
    /// it to `keep`; returns the adapter's description and how many DoRA
    /// factors came from `storedFactors`.
    static func decodeModules(config: LoRAConfig, weights: SafeTensorsFile, base: some BaseLinears,
                              identity: BaseModelIdentity?, storedFactors: DoRAFactorTable?,
                              keep: (LinearID, LoRAModule) -> Void) throws -> (info: AdapterInfo, factorsReused: Int) {
        if let identity, let declared = config.baseModelNameOrPath,
           let reason = identity.mismatch(declaredBase: declared) {
            throw AdapterError.wrongBaseModel(declared: declared, reason: reason)
        }
        let pairs = try validate(config: config, weights: weights, base: base.linearShapes)

        // Only now read values: every name, shape and dtype is known to be right.
        var infos: [AdapterInfo.Module] = []
        var parameterCount = 0
        var factorsReused = 0
        for pair in pairs {
            let a = try finiteFloats(pair.a, in: weights)  // (r, in)
            let b = try finiteFloats(pair.b, in: weights)  // (out, r)
            let scale = LoRAConfig.scale(rank: pair.rank, alpha: pair.alpha, rsLoRA: config.useRSLoRA)
            var module = LoRAModule(rank: pair.rank, inFeatures: pair.shape.inFeatures,
                                    outFeatures: pair.shape.outFeatures, scale: scale, a: a, b: b)
            if let magnitudeName = pair.magnitude {
                let m = try finiteFloats(magnitudeName, in: weights)  // (out)
                let g: [Float]
                if let stored = storedFactors?.factor(for: pair.id, magnitude: m) {
                    g = stored
                    factorsReused += 1
                } else {
                    g = try DoRAFactors.compute(module: module, magnitude: m, scale: scale, id: pair.id, base: base)
                }
                module = module.withDoRA(magnitude: m, factor: g)
                parameterCount += m.count
            }
            keep(pair.id, module)
            infos.append(AdapterInfo.Module(id: pair.id, rank: pair.rank, alpha: pair.alpha, scale: scale))
            parameterCount += a.count + b.count
        }
        var kinds: [String] = []
        for kind in LinearKind.allCases where pairs.contains(where: { $0.id.kind == kind }) { kinds.append(kind.rawValue) }
        let info = AdapterInfo(
            modules: infos, r: config.r, loraAlpha: config.loraAlpha, useRSLoRA: config.useRSLoRA,
            useDoRA: config.useDoRA, targetModules: config.targetModules, adaptedKinds: kinds,
            parameterCount: parameterCount, parameterBytes: parameterCount * MemoryLayout<Float>.size,
            baseModelNameOrPath: config.baseModelNameOrPath, peftVersion: config.peftVersion)
        return (info, factorsReused)
    }

    /// One validated module: its tensors and the rank/alpha the config gives it.
    struct ValidPair {
        let id: LinearID
        let a: String
        let b: String
        /// The DoRA magnitude vector's tensor name (`use_dora` only).
        let magnitude: String?
        let shape: LinearShape
        let rank: Int
        let alpha: Double
    }

    /// Every check that needs only names, shapes and dtypes. Returns the pairs in (layer, kind) order.
    static func validate(config: LoRAConfig, weights: SafeTensorsFile,
                         base: [LinearID: LinearShape]) throws -> [ValidPair] {
        let matcher = PatternMatcher(config)
        var aNames: [LinearID: String] = [:]
        var bNames: [LinearID: String] = [:]
        var magnitudeNames: [LinearID: String] = [:]
        // Tensors in data-offset order, so the first bad one reported is stable.
        for info in weights.tensors {
            let (module, factor) = try { let t = try AdapterTensorName.parse(info.name); return (t.module, t.factor) }()
            guard let id = LinearID(modulePath: module), base[id] != nil else {
                throw AdapterError.unknownModule(tensor: info.name, module: module)
            }
            guard matcher.selects(module: module) else {
                throw AdapterError.untargetedModule(tensor: info.name, module: module)
            }
            guard [.f32, .f16, .bf16].contains(info.dtype) else {
                throw AdapterError.unsupportedDType(tensor: info.name, dtype: info.dtype.rawValue)
            }
            if factor == .magnitude, !config.useDoRA {
                throw AdapterError.unexpectedTensor(
                    tensor: info.name, reason: "a DoRA magnitude vector, but adapter_config.json does not set use_dora")
            }
            // With and without the base_model.model. prefix (or a magnitude's
            // `.weight` suffix), two names can denote one tensor.
            let seen: String?
            switch factor {
            case .a: seen = aNames[id]; aNames[id] = info.name
            case .b: seen = bNames[id]; bNames[id] = info.name
            case .magnitude: seen = magnitudeNames[id]; magnitudeNames[id] = info.name
            }
            if let other = seen {
                throw AdapterError.unexpectedTensor(tensor: info.name, reason: "duplicates '\(other)'")
            }
        }
        for (id, a) in aNames where bNames[id] == nil {
            throw AdapterError.missingPair(present: a, missing: partner(of: a, from: "lora_A", to: "lora_B"))
        }
        for (id, b) in bNames where aNames[id] == nil {
            throw AdapterError.missingPair(present: b, missing: partner(of: b, from: "lora_B", to: "lora_A"))
        }
        for id in magnitudeNames.keys.sorted() where aNames[id] == nil {
            let m = magnitudeNames[id] ?? ""
            throw AdapterError.missingPair(present: m, missing: AdapterTensorName.peftPrefix + id.modulePath + ".lora_A.weight")
        }
        if config.useDoRA, let id = aNames.keys.sorted().first(where: { magnitudeNames[$0] == nil }) {
            throw AdapterError.missingMagnitude(
                module: id.modulePath, tensor: AdapterTensorName.peftPrefix + id.modulePath + ".lora_magnitude_vector")
        }
        guard !aNames.isEmpty else {
            throw AdapterError.noModules(reason: "adapter_model.safetensors holds no lora_A/lora_B tensors")
        }

        var pairs: [ValidPair] = []
        for id in aNames.keys.sorted() {
            guard let aName = aNames[id], let bName = bNames[id], let shape = base[id],
                  let aInfo = weights.info(aName), let bInfo = weights.info(bName) else { continue }
            let module = id.modulePath
            let rank = matcher.rank(forModule: module)
            let alpha = matcher.alpha(forModule: module)
            let scale = config.useRSLoRA ? alpha / Double(rank).squareRoot() : alpha / Double(rank)
            guard scale.isFinite, abs(scale) <= LoRAConfig.maxScale else {
                throw AdapterError.scaleOutOfRange(module: module, rank: rank, alpha: alpha, scale: scale)
            }
            let out = shape.outFeatures, inF = shape.inFeatures
            // lora_A: (r, in) — PEFT's LoraLayer.update_layer builds nn.Linear(in, r).
            guard aInfo.shape.count == 2, aInfo.shape[1] == inF else {
                throw AdapterError.shapeMismatch(tensor: aName, found: aInfo.shape, expected: [rank, inF],
                                                 reason: "lora_A is (r, in); base '\(module)' is (out, in) = \(shape)")
            }
            guard aInfo.shape[0] == rank else {
                throw AdapterError.rankMismatch(tensor: aName, found: aInfo.shape[0], configured: rank, module: module)
            }
            // lora_B: (out, r) — nn.Linear(r, out).
            guard bInfo.shape.count == 2, bInfo.shape[0] == out else {
                throw AdapterError.shapeMismatch(tensor: bName, found: bInfo.shape, expected: [out, rank],
                                                 reason: "lora_B is (out, r); base '\(module)' is (out, in) = \(shape)")
            }
            guard bInfo.shape[1] == rank else {
                throw AdapterError.rankMismatch(tensor: bName, found: bInfo.shape[1], configured: rank, module: module)
            }
            // lora_magnitude_vector: (out) — DoraLinearLayer.update_layer keeps one norm per output row.
            let magnitude = magnitudeNames[id]
            if let magnitude, let mInfo = weights.info(magnitude), mInfo.shape != [out] {
                throw AdapterError.shapeMismatch(tensor: magnitude, found: mInfo.shape, expected: [out],
                                                 reason: "lora_magnitude_vector is (out); base '\(module)' is (out, in) = \(shape)")
            }
            pairs.append(ValidPair(id: id, a: aName, b: bName, magnitude: magnitude, shape: shape, rank: rank, alpha: alpha))
        }
        return pairs
    }

    static func partner(of tensor: String, from: String, to: String) -> String {
        guard let range = tensor.range(of: "." + from + ".", options: .backwards) else { return to }
        return tensor.replacingCharacters(in: range, with: "." + to + ".")
    }

    static func finiteFloats(_ tensor: String, in file: SafeTensorsFile) throws -> [Float] {
        let values: [Float]
        do { values = try file.floats(tensor) } catch {
            throw AdapterError.unreadableWeights(reason: String(describing: error))
        }
        if let i = values.firstIndex(where: { !$0.isFinite }) {
            throw AdapterError.nonFinite(tensor: tensor, index: i, value: values[i])
        }
        if let i = values.firstIndex(where: { abs($0) > maxFactorMagnitude }) {
            throw AdapterError.valueOutOfRange(tensor: tensor, index: i, value: values[i], limit: maxFactorMagnitude)
        }
        return values
    }

    /// Refuses adapter weights whose first bytes already declare a header
    /// larger than any adapter for `base` can need, so an upload is stopped
    /// before the rest of its body is buffered.
    public static func checkWeightsPrefix(_ prefix: Data, base: [LinearID: LinearShape]) throws {
        do { try headerLimits(base: base).checkDeclaredHeader(prefix, file: weightsFileName) } catch {
            throw weightsError(error)
        }
    }

    /// A header beyond the adapter limits is an incompatible adapter (it
    /// may be a valid file, for a larger base); any other safetensors
    /// problem is an unreadable file — so is a header length past 100 MB,
    /// which no valid file declares (the reference reader's
    /// `safetensors::tensor::MAX_HEADER_SIZE` refuses it as malformed).
    static func weightsError(_ error: any Error) -> AdapterError {
        switch error as? SafeTensorsError {
        case .headerTooLarge(_, let length, _)? where length > UInt64(SafeTensorsLimits.checkpoint.maxHeaderBytes):
            return .unreadableWeights(reason: String(describing: error))
        case .headerTooLarge?, .tooManyTensors?: return .oversizedHeader(reason: String(describing: error))
        default: return .unreadableWeights(reason: String(describing: error))
        }
    }

    /// The largest |value| accepted in lora_A / lora_B: the F16 range
    /// (65504), which every adapter saved in F16 respects by construction and
    /// trained F32/BF16 factors (typically below 1) are nowhere near. With
    /// |scale| ≤ `LoRAConfig.maxScale` and r ≤ 65536 every element of s·B·A
    /// stays below 3e18, far from F32 overflow; ±3e38 would not.
    public static let maxFactorMagnitude: Float = 65504

    /// At most three tensors per linear the base has (lora_A, lora_B and
    /// DoRA's magnitude vector): the safetensors header of an adapter is
    /// bounded by that before it is parsed.
    public static func headerLimits(base: [LinearID: LinearShape]) -> SafeTensorsLimits {
        .atMost(tensors: 3 * base.count)
    }

    /// Every linear of a Llama checkpoint (`model.layers.N.<self_attn|mlp>.<proj>.weight`)
    /// with its (out, in) shape, as the validation above needs it.
    public static func linearShapes(of checkpoint: Checkpoint) -> [LinearID: LinearShape] {
        var shapes: [LinearID: LinearShape] = [:]
        for name in checkpoint.tensorNames where name.hasSuffix(".weight") {
            guard let id = LinearID(modulePath: String(name.dropLast(".weight".count))),
                  let info = checkpoint.info(name), info.shape.count == 2 else { continue }
            shapes[id] = LinearShape(outFeatures: info.shape[0], inFeatures: info.shape[1])
        }
        return shapes
    }
}
