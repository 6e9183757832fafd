import Foundation
import OrderedJSON

/// A PEFT `adapter_config.json` for `peft_type: "LORA"`, decoded and checked.
///
/// Field meanings follow `peft.tuners.lora.config.LoraConfig` (PEFT 0.21).
/// Anything that would make lorad serve a different model than PEFT does
/// (biases, modules_to_save, LoRA variants other than DoRA, embedding targets, …) is
/// refused with an `AdapterError` naming the field; unknown extra fields are
/// ignored because PEFT adds fields every release. Matching rules live in
/// `LoRAConfig+Matching.swift`.
///
/// Regular expressions (`target_modules` as a string, `exclude_modules` as a
/// string, `rank_pattern`/`alpha_pattern` keys, `layers_pattern`) are compiled
/// with Swift's `Regex`. Python's `re` syntax is mostly but not entirely the
/// same (e.g. `(?P=name)` back-references, `\Z`, some flag groups differ), so
/// an exotic pattern may be rejected here although PEFT accepts it.
public struct LoRAConfig: Sendable {
    /// `target_modules`: PEFT accepts a list of names, one regex string, or
    /// the shorthand `"all-linear"` (compared case-insensitively,
    /// `tuners_utils._maybe_include_all_linear_layers`).
    public enum TargetModules: Sendable, Equatable {
        case names([String])
        case regex(String)
        case allLinear
    }

    /// `exclude_modules`: a list (exact or `.`-suffix match) or a regex string (full match).
    public enum ExcludeModules: Sendable, Equatable {
        case names([String])
        case regex(String)
    }

    /// One `rank_pattern` / `alpha_pattern` entry, in file order (order decides: first match wins).
    public struct PatternEntry<Value: Sendable & Equatable>: Sendable, Equatable {
        public let key: String
        public let value: Value
    }

    /// Global rank `r` (PEFT default 8).
    public let r: Int
    /// Global `lora_alpha` (PEFT default 8).
    public let loraAlpha: Double
    /// `use_rslora`: scale = alpha/√r instead of alpha/r.
    public let useRSLoRA: Bool
    /// `use_dora`: weight-decomposed LoRA, every adapted module also carries a
    /// magnitude vector (`DoRAFactors` has the formula).
    public let useDoRA: Bool
    public let targetModules: TargetModules
    public let rankPattern: [PatternEntry<Int>]
    public let alphaPattern: [PatternEntry<Double>]
    /// `layers_to_transform` normalised to a list (an int becomes `[n]`); nil or empty = every layer.
    public let layersToTransform: [Int]?
    /// `layers_pattern` normalised to a list; nil = "any `name.N.` segment".
    public let layersPattern: [String]?
    public let excludeModules: ExcludeModules?
    /// The base the adapter was trained on: shown by the registry, and
    /// checked against the served base's family (`BaseModelIdentity`); the
    /// tensor shapes are checked regardless.
    public let baseModelNameOrPath: String?
    public let taskType: String?
    public let peftVersion: String?

    /// Regex sources, checked to compile at decode time. `Regex<AnyRegexOutput>`
    /// is not Sendable, so `PatternMatcher` compiles them where they are used.
    let patterns: PatternSources

    struct PatternSources: Sendable {
        var target: String?
        var exclude: String?
        /// `(.*\.)?(key)` per rank_pattern key, matched whole (== re.match with `$`).
        var rankKeys: [String] = []
        var alphaKeys: [String] = []
        /// Layer-index extractors, matched as a prefix (== re.match).
        var layerIndex: [String] = []
    }

    /// Decodes `adapter_config.json` bytes.
    /// - Throws: `AdapterError` naming the field at fault.
    public init(json data: Data) throws {
        let root: JSONValue
        // Depth 64: configs are shallow. NaN/Infinity: json.dump writes them for
        // float('nan'/'inf'), and the field holding one is named by a later check.
        // Lone surrogates become U+FFFD (Python would keep them; Swift cannot).
        let options = JSONParseOptions(maxDepth: 64, allowNonFiniteNumbers: true, loneSurrogates: .replace)
        do { root = try JSONValue.parse(data, options: options) } catch {
            throw AdapterError.invalidConfigJSON(reason: String(describing: error))
        }
        guard case .object = root else {
            throw AdapterError.invalidConfigJSON(reason: "the top level is \(root.brief.prefix(40)), not an object")
        }
        try self.init(root: root)
    }

    init(root: JSONValue) throws {
        do { try self.init(fields: JSONNode(root)) } catch let error as JSONAccessError {
            throw error.expected == "present" ? AdapterError.missingField(error.path)
                : AdapterError.invalidField(field: error.path, value: error.found, expected: error.expected)
        }
    }

    private init(fields: JSONNode) throws {
        // peft_type picks the PEFT config class (PeftConfig.from_pretrained); we only do LORA.
        guard let peftType = try fields.string("peft_type") else { throw AdapterError.missingField("peft_type") }
        guard peftType == "LORA" else { throw AdapterError.unsupportedPeftType(peftType) }

        try Self.refuseUnsupported(fields)

        // An integral float (`8.0`) is accepted as rank 8: PEFT does not type-check LoraConfig fields.
        r = try fields.int("r", in: 1...Self.maxRank) ?? 8
        loraAlpha = try fields.double("lora_alpha") ?? 8
        useRSLoRA = try fields.bool("use_rslora") ?? false
        useDoRA = try fields.bool("use_dora") ?? false
        baseModelNameOrPath = try fields.string("base_model_name_or_path")
        taskType = try fields.string("task_type")
        peftVersion = try fields.string("peft_version")

        var compiled = PatternSources()

        // target_modules: null means PEFT's per-architecture default, for llama
        // ["q_proj", "v_proj"] (utils/constants.py TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING).
        let targets = fields.optional("target_modules")
        switch targets?.value {
        case nil:
            targetModules = .names(["q_proj", "v_proj"])
        case .string(let s)?:
            if s.lowercased() == "all-linear" {
                targetModules = .allLinear
            } else {
                targetModules = .regex(s)
                compiled.target = try Self.checked(s, field: "target_modules")
            }
        case .array?:
            targetModules = .names(try Self.strings(targets))
        case let other?:
            throw AdapterError.invalidField(field: "target_modules", value: other.brief,
                                            expected: "a list of module names, a regex string, or \"all-linear\"")
        }

        let excludes = fields.optional("exclude_modules")
        switch excludes?.value {
        case nil:
            excludeModules = nil
        case .string(let s)?:
            excludeModules = .regex(s)
            compiled.exclude = try Self.checked(s, field: "exclude_modules")
        case .array?:
            excludeModules = .names(try Self.strings(excludes))
        case let other?:
            throw AdapterError.invalidField(field: "exclude_modules", value: other.brief,
                                            expected: "a list of module names or a regex string")
        }

        // rank_pattern / alpha_pattern: get_pattern_key matches re.match(rf"(.*\.)?({key})$", name).
        // Keys are module paths with dots, so the error path brackets them.
        var ranks: [PatternEntry<Int>] = []
        for (key, node) in try Self.members(fields, "rank_pattern") {
            ranks.append(PatternEntry(key: key, value: try node.int(in: 1...Self.maxRank)))
            compiled.rankKeys.append(try Self.checked("(.*\\.)?(\(key))", field: "rank_pattern", pattern: key))
        }
        rankPattern = ranks
        var alphas: [PatternEntry<Double>] = []
        for (key, node) in try Self.members(fields, "alpha_pattern") {
            alphas.append(PatternEntry(key: key, value: try node.double()))
            compiled.alphaKeys.append(try Self.checked("(.*\\.)?(\(key))", field: "alpha_pattern", pattern: key))
        }
        alphaPattern = alphas

        // layers_to_transform: int or list of ints (LoraConfig field doc).
        let layers = fields.optional("layers_to_transform")
        switch layers?.value {
        case nil:
            layersToTransform = nil
        case .array?:
            layersToTransform = try layers?.array().map { try $0.int(in: Self.layerIndices) }
        case .integer?, .float?:
            layersToTransform = try layers.map { node in [try node.int(in: Self.layerIndices)] }
        case let other?:
            throw AdapterError.invalidField(field: "layers_to_transform", value: other.brief,
                                            expected: "an integer or a list of integers")
        }

        let pattern = fields.optional("layers_pattern")
        switch pattern?.value {
        case nil: layersPattern = nil
        case .string(let s)?: layersPattern = [s]
        case .array?: layersPattern = try Self.strings(pattern)
        case let other?:
            throw AdapterError.invalidField(field: "layers_pattern", value: other.brief,
                                            expected: "a string or a list of strings")
        }

        // The same consistency rules LoraConfig.__post_init__ enforces.
        switch targetModules {
        case .regex, .allLinear:
            if let layers {
                throw AdapterError.invalidField(field: "layers_to_transform", value: layers.value.brief,
                                                expected: "null when target_modules is a string (PEFT refuses this)")
            }
            if let pattern {
                throw AdapterError.invalidField(field: "layers_pattern", value: pattern.value.brief,
                                                expected: "null when target_modules is a string (PEFT refuses this)")
            }
        case .names: break
        }
        if let pattern = layersPattern, !pattern.isEmpty, layersToTransform == nil {
            throw AdapterError.invalidField(field: "layers_pattern", value: pattern.description,
                                            expected: "to come with layers_to_transform (PEFT refuses it alone)")
        }
        // The layer index is the number after the first `<segment>.` (lazy `.*?`), or after a
        // layers_pattern segment: tuners_utils.check_target_module_exists.
        if let patterns = layersPattern, !patterns.isEmpty {
            compiled.layerIndex = try patterns.map {
                try Self.checked(".*?\\.\($0)\\.(\\d+)\\.", field: "layers_pattern", pattern: $0)
            }
        } else {
            compiled.layerIndex = [try Self.checked(".*?\\.[^.]*\\.(\\d+)\\.", field: "layers_pattern")]
        }
        self.patterns = compiled

        // Embedding / output-head LoRA (lora_embedding_A/B, lm_head) is not implemented:
        // refuse a config that would select them rather than silently skip them.
        let matcher = PatternMatcher(self)
        for name in ["lm_head", "model.embed_tokens"] where matcher.selects(module: name) {
            throw AdapterError.unsupportedFeature(
                field: "target_modules", value: Self.describe(targetModules),
                reason: "it selects '\(name)'; LoRA on the embedding or output head is not supported")
        }
    }

    /// Upper bound on a rank: far above any real adapter, low enough that r·in cannot overflow.
    static let maxRank = 1 << 16

    /// Layer indices a config may name: far above any real model's depth.
    static let layerIndices = 0...999_999_999

    /// A list of strings (`target_modules`, `exclude_modules`, `layers_pattern`).
    private static func strings(_ node: JSONNode?) throws -> [String] {
        try node?.array().map { try $0.string() } ?? []
    }

    /// The members of the object `key` (absent or null: none), each with a
    /// path that brackets the key, since pattern keys contain dots.
    private static func members(_ fields: JSONNode, _ key: String) throws -> [(key: String, node: JSONNode)] {
        guard let node = fields.optional(key) else { return [] }
        return try node.members().map { member in
            (member.key, JSONNode(member.node.value, path: "\(key)[\"\(member.key)\"]"))
        }
    }

    /// Upper bound on |scale| (alpha/r, or alpha/√r with rsLoRA) of any
    /// module: real adapters use 0.1…64; 10,000 leaves room for anything
    /// trained while keeping s·B·A far from F32 overflow (3.4e38) for factors
    /// within `AdapterLoader.maxFactorMagnitude`. PEFT itself does not bound
    /// it; an alpha of 1e308 would turn every output into inf/NaN.
    public static let maxScale = 10_000.0

    /// Returns `source` after checking that it compiles; the error names the field and the user's pattern.
    static func checked(_ source: String, field: String, pattern: String? = nil) throws -> String {
        do { _ = try Regex(source); return source } catch {
            throw AdapterError.invalidRegex(field: field, pattern: pattern ?? source, reason: String(describing: error))
        }
    }

    static func describe(_ t: TargetModules) -> String {
        switch t {
        case .names(let n): return n.description
        case .regex(let r): return "\"\(r)\""
        case .allLinear: return "\"all-linear\""
        }
    }

    /// Fields whose non-default value changes the forward pass in a way lorad does not implement.
    private static func refuseUnsupported(_ fields: JSONNode) throws {
        func refuse(_ field: String, _ reason: String) throws {
            if let v = fields.value[field], v.isTruthy {
                throw AdapterError.unsupportedFeature(field: field, value: v.brief, reason: reason)
            }
        }
        try refuse("modules_to_save", "the adapter replaces whole modules, not only low-rank deltas")
        if let bias = fields.value["bias"], !bias.isNull, bias != .string("none") {
            throw AdapterError.unsupportedFeature(field: "bias", value: bias.brief,
                                                  reason: "only \"none\" is supported (the adapter would change biases)")
        }
        try refuse("lora_bias", "a bias on lora_B is not supported")
        try refuse("fan_in_fan_out", "transposed (Conv1D-layout) weights are not used by Llama models")
        try refuse("target_parameters", "LoRA on raw parameters (not modules) is not supported")
        try refuse("layer_replication", "layer replication changes the model's layer stack")
        try refuse("trainable_token_indices", "trainable token embeddings are not supported")
        // LoRA variants (fields tagged is_lora_variant in peft/tuners/lora/config.py) change the forward pass.
        for field in ["alora_invocation_tokens", "velora_config", "monteclora_config", "use_bdlora",
                      "arrow_config", "kasa_config"] {
            try refuse(field, "this LoRA variant is not supported")
        }
        try refuse("use_qalora", "QA-LoRA (input pooling for quantized bases) is not supported")
    }
}
