import Foundation

/// The parts of Tests/Fixtures/references.json (written by make_fixtures.py
/// from transformers + PEFT) and of references-qwen.json (same layout) that
/// tests compare against.
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
    public struct Variant: Decodable, Sendable {
        public let name: String
        public let dtype: String
        public let results: [Result]
        /// references-qwen.json: the model folder (relative to Tests/Fixtures)
        /// and, for adapter variants, the adapter folder.
        public let model_dir: String?
        public let adapter_dir: String?
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
