/// Why an adapter (its `adapter_config.json` or `adapter_model.safetensors`)
/// was refused. Every case names the field, tensor or module at fault so an
/// operator can fix the upload; the HTTP layer maps these to 400/422.
public enum AdapterError: Error, CustomStringConvertible, Sendable, Equatable {
    // MARK: adapter_config.json
    /// The config is not JSON, or not a JSON object.
    case invalidConfigJSON(reason: String)
    /// A required field is absent.
    case missingField(String)
    /// A field has the wrong JSON type or an impossible value.
    case invalidField(field: String, value: String, expected: String)
    /// A field asks for something lorad does not implement (bias, modules_to_save, …).
    case unsupportedFeature(field: String, value: String, reason: String)
    /// `base_model_name_or_path` names a model of another family than the served base.
    case wrongBaseModel(declared: String, reason: String)
    /// `peft_type` is not `LORA`.
    case unsupportedPeftType(String)
    /// A regular expression in the config does not compile.
    case invalidRegex(field: String, pattern: String, reason: String)

    // MARK: files
    /// A file the adapter folder must contain is absent, or cannot be read
    /// (not a regular file, too large: `RegularFile`); `reason` says which.
    case missingFile(path: String, reason: String)

    // MARK: adapter_model.safetensors
    /// The weights file could not be read or parsed. `reason` is the
    /// safetensors reader's message, which names the file.
    case unreadableWeights(reason: String)
    /// The safetensors header is larger, or lists more tensors, than any
    /// adapter for this base model can (`AdapterLoader.headerLimits`);
    /// `reason` names the file, as `unreadableWeights`'.
    case oversizedHeader(reason: String)
    /// A tensor name that is not `…<module>.lora_A.weight` / `.lora_B.weight`.
    case unexpectedTensor(tensor: String, reason: String)
    /// A LoRA tensor for a module the base model does not have.
    case unknownModule(tensor: String, module: String)
    /// LoRA on the embedding or the output head (`embed_tokens`, `lm_head`).
    case embeddingLoRA(tensor: String)
    /// A tensor for a module the config's `target_modules` (etc.) does not select.
    case untargetedModule(tensor: String, module: String)
    /// `lora_A` without `lora_B` or the reverse.
    case missingPair(present: String, missing: String)
    /// A tensor's shape disagrees with the base linear's (out, in).
    case shapeMismatch(tensor: String, found: [Int], expected: [Int], reason: String)
    /// A tensor's rank disagrees with the rank the config gives that module.
    case rankMismatch(tensor: String, found: Int, configured: Int, module: String)
    /// A dtype other than F32/F16/BF16.
    case unsupportedDType(tensor: String, dtype: String)
    /// NaN or ±Inf in a tensor.
    case nonFinite(tensor: String, index: Int, value: Float)
    /// A finite value too large for any trained factor (`AdapterLoader.maxFactorMagnitude`).
    case valueOutOfRange(tensor: String, index: Int, value: Float, limit: Float)
    /// A module's scale (alpha/r or alpha/√r) that is not finite or beyond `LoRAConfig.maxScale`.
    case scaleOutOfRange(module: String, rank: Int, alpha: Double, scale: Double)
    /// The file holds no LoRA module at all.
    case noModules(reason: String)

    // MARK: DoRA
    /// `use_dora` is true but a module with `lora_A`/`lora_B` has no magnitude vector.
    case missingMagnitude(module: String, tensor: String)
    /// A row of W0 + s·B·A is zero (or its norm overflows), so DoRA's factor m / ‖·‖ is not finite there.
    case doraZeroNorm(module: String, row: Int, scale: Float)
    /// `NAME:w` for a DoRA adapter whose scale w·s would leave ±`LoRAConfig.maxScale`.
    case doraWeightOutOfRange(adapter: String, weight: Float, module: String, scale: Double)
    /// DoRA needs the base's W0 values and the base at hand has only shapes.
    case baseWeightsUnavailable(module: String)
    /// A request mixes a DoRA adapter with other adapters.
    case doraCombination(adapters: [String])
    /// A DoRA adapter whose factor is 0 in some row cannot be live-merged exactly.
    case doraNotInvertible(adapter: String, module: String, row: Int)

    // MARK: merge
    /// A base tensor's shape or size is not what the adapter was validated against.
    case baseMismatch(tensor: String, reason: String)

    public var description: String {
        switch self {
        case .invalidConfigJSON(let reason):
            return "adapter_config.json is not valid JSON: \(reason)"
        case .missingField(let field):
            return "adapter_config.json: required field '\(field)' is missing"
        case let .invalidField(field, value, expected):
            return "adapter_config.json: field '\(field)' is \(value), expected \(expected)"
        case let .unsupportedFeature(field, value, reason):
            return "adapter_config.json: '\(field)': \(value) is not supported: \(reason)"
        case let .wrongBaseModel(declared, reason):
            return "adapter_config.json: 'base_model_name_or_path' \"\(declared)\" \(reason)"
        case .unsupportedPeftType(let type):
            return "adapter_config.json: 'peft_type' is \"\(type)\"; only \"LORA\" adapters are supported"
        case let .invalidRegex(field, pattern, reason):
            return "adapter_config.json: '\(field)' regex \"\(pattern)\" does not compile: \(reason)"
        case let .missingFile(path, reason):
            return "\(path): \(reason)"
        case .oversizedHeader(let reason):
            return "\(reason) — more than a LoRA adapter for this base model can need "
                + "(at most lora_A, lora_B and a magnitude vector per linear; maybe the wrong base model?)"
        case .unreadableWeights(let reason):
            return reason
        case let .unexpectedTensor(tensor, reason):
            return "adapter_model.safetensors: unexpected tensor '\(tensor)': \(reason)"
        case let .unknownModule(tensor, module):
            return "adapter_model.safetensors: tensor '\(tensor)' is for module '\(module)', "
                + "which this base model does not have (maybe wrong base model?)"
        case .embeddingLoRA(let tensor):
            return "adapter_model.safetensors: tensor '\(tensor)' adapts the embedding or output head "
                + "(embed_tokens/lm_head); LoRA and DoRA on those are not supported"
        case let .untargetedModule(tensor, module):
            return "adapter_model.safetensors: tensor '\(tensor)' is for module '\(module)', "
                + "which the config's target_modules do not select"
        case let .missingPair(present, missing):
            return "adapter_model.safetensors: '\(present)' has no partner '\(missing)'"
        case let .shapeMismatch(tensor, found, expected, reason):
            return "adapter_model.safetensors: tensor '\(tensor)' has shape \(found), expected \(expected) (\(reason))"
        case let .rankMismatch(tensor, found, configured, module):
            return "adapter_model.safetensors: tensor '\(tensor)' has rank \(found) but the config gives "
                + "module '\(module)' rank \(configured) (r / rank_pattern)"
        case let .unsupportedDType(tensor, dtype):
            return "adapter_model.safetensors: tensor '\(tensor)' has dtype \(dtype); only F32, F16 and BF16 are supported"
        case let .nonFinite(tensor, index, value):
            return "adapter_model.safetensors: tensor '\(tensor)' holds \(value) at element \(index)"
        case let .valueOutOfRange(tensor, index, value, limit):
            return "adapter_model.safetensors: tensor '\(tensor)' holds \(value) at element \(index); "
                + "LoRA factors beyond ±\(limit) are refused (trained factors are small; such values overflow F32 products)"
        case let .scaleOutOfRange(module, rank, alpha, scale):
            return "module '\(module)': lora_alpha \(alpha) with r \(rank) gives the scale \(scale); "
                + "a scale must be finite and within ±\(LoRAConfig.maxScale) (check lora_alpha / alpha_pattern)"
        case .noModules(let reason):
            return "adapter has no LoRA modules: \(reason)"
        case let .missingMagnitude(module, tensor):
            return "adapter_model.safetensors: use_dora is true, but module '\(module)' has no DoRA magnitude vector '\(tensor)'"
        case let .doraZeroNorm(module, row, scale):
            return "DoRA: row \(row) of W0 + s·B·A for module '\(module)' (s = \(scale)) has a zero or overflowing norm, "
                + "so its factor lora_magnitude_vector / norm is not finite (PEFT would compute inf or NaN there)"
        case let .doraWeightOutOfRange(adapter, weight, module, scale):
            return "DoRA adapter '\(adapter)' at weight \(weight): module '\(module)' would get the scale \(scale); "
                + "a scale must be within ±\(LoRAConfig.maxScale)"
        case .baseWeightsUnavailable(let module):
            return "DoRA: the factor of module '\(module)' needs the base model's weights, and only its shapes are known here"
        case .doraCombination(let adapters):
            return "adapter mix \(adapters.joined(separator: ",")): a DoRA adapter cannot be combined with other adapters "
                + "(PEFT defines no such combination; add_weighted_adapter refuses DoRA); use it alone, optionally weighted as NAME:w"
        case let .doraNotInvertible(adapter, module, row):
            return "DoRA adapter '\(adapter)' cannot be live-merged: its factor is 0 in row \(row) of '\(module)', so the merged "
                + "weights g ⊙ (W0 + s·B·A) lose W0 there and other requests could not be served exactly"
        case let .baseMismatch(tensor, reason):
            return "base tensor '\(tensor)': \(reason)"
        }
    }
}
