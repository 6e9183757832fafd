import Foundation

/// The parts of Tests/Fixtures/references.json (written by make_fixtures.py
/// from transformers + PEFT) and of references-qwen.json and
/// references-dora.json (same layout) that tests compare against.
public struct References: Decodable, Sendable {
    public struct Prompt: Decodable, Sendable {
        public let name: String
        public let text: String
        public let input_ids: [Int]
    }
    public struct Result: Decodable, Sendable {
        public let prompt: String
        public let last_logits: [Float]
        public let last_logits_argmax: Int
        public let generated_ids: [Int]
        public let generated_text: String
        public let stopped_at_eos: Bool
    }
    /// One adapted module as PEFT built it (adapter variants only).
    public struct Module: Decodable, Sendable {
        public let r: Int
        public let scaling: Double
        public let use_dora: Bool?
        public let magnitude_vector: String?
        /// DoRA, first module of layer 0 only: ‖W0 + s·B·A‖ per row and m / that, as PEFT's forward computes them (F32).
        public let dora_weight_norm: [Float]?
        public let dora_factor: [Float]?
    }
    public struct Variant: Decodable, Sendable {
        public let name: String
        public let dtype: String
        public let results: [Result]
        /// references-qwen.json: the model folder (relative to Tests/Fixtures)
        /// and, for adapter variants, the adapter folder.
        public let model_dir: String?
        public let adapter_dir: String?
        /// Module path → module, for adapter variants.
        public let modules: [String: Module]?
    }
    public struct Generation: Decodable, Sendable {
        public let max_new_tokens: Int
        public let eos_token_id: Int
    }

    public let prompts: [Prompt]
    public let variants: [Variant]
    public let generation: Generation

    public static func load(_ url: URL = Fixtures.references) throws -> References {
        try JSONDecoder().decode(References.self, from: Data(contentsOf: url))
    }

    public func variant(_ name: String) -> Variant? { variants.first { $0.name == name } }
    public func prompt(_ name: String) -> Prompt? { prompts.first { $0.name == name } }
    /// The reference result of `variant` on `prompt`.
    public func result(_ variant: String, _ prompt: String) -> Result? {
        self.variant(variant)?.results.first { $0.prompt == prompt }
    }
}
