import CLI
import Foundation

extension SyntheticModel {
    /// The synthetic checkpoint as the daemon serves it: it borrows the demo
    /// model's tokenizer (its ids are < 2048, valid in the 49152 vocabulary);
    /// EOS moves to an id greedy decoding of random weights will not stop on
    /// early.
    static func writeServable(to folder: URL) throws {
        guard let demo = ModelLocator.defaultModel() else { throw UsageError.missing("the bundled models/tiny-llama (for its tokenizer)") }
        try write(to: folder, tokenizerFrom: demo)
        let configURL = folder.appendingPathComponent("config.json")
        let configText = try String(contentsOf: configURL, encoding: .utf8)
            .replacingOccurrences(of: "\"eos_token_id\": 0", with: "\"eos_token_id\": 49151")
        try Data(configText.utf8).write(to: configURL)
    }
}
