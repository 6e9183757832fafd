import Foundation
import TestSupport

/// The parts of Tests/Fixtures/references.json (written by make_fixtures.py
/// from transformers + PEFT) that the model tests compare against.
struct References: Decodable {
    struct Prompt: Decodable {
        let name: String
        let input_ids: [Int]
    }
    struct Result: Decodable {
        let prompt: String
        let last_logits: [Float]
        let last_logits_argmax: Int
        let generated_ids: [Int]
        let stopped_at_eos: Bool
    }
    struct Variant: Decodable {
        let name: String
        let dtype: String
        let results: [Result]
    }
    struct Generation: Decodable {
        let max_new_tokens: Int
        let eos_token_id: Int
    }

    let prompts: [Prompt]
    let variants: [Variant]
    let generation: Generation

    static func load() throws -> References {
        try JSONDecoder().decode(References.self, from: Data(contentsOf: Fixtures.references))
    }

    func variant(_ name: String) -> Variant? { variants.first { $0.name == name } }
    func prompt(_ name: String) -> Prompt? { prompts.first { $0.name == name } }
}
