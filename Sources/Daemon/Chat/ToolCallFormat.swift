/// How a model writes tool calls in its output (`tool_call_parser`):
/// - `hermes`: `<tool_call>{"name": …, "arguments": {…}}</tool_call>`, any
///   number of them after optional text (Hermes 2/3, Qwen2.5, QwQ, Qwen3);
/// - `llama3_json`: the whole output is `{"name": …, "parameters": {…}}`
///   (`arguments` accepted too), optionally after `<|python_tag|>` and
///   several separated by `;` (Llama 3.1–3.3's JSON tool calling).
/// vLLM's `--tool-call-parser hermes` / `llama3_json` read the same formats.
public enum ToolCallFormat: String, Sendable, CaseIterable {
    case hermes
    case llama3JSON = "llama3_json"

    /// The format a template teaches, from its text: Hermes-style templates
    /// show the `<tool_call>` tag, Llama 3.x ones the
    /// `"parameters": dictionary of argument name and its value` instruction
    /// or the `<|python_tag|>` token. nil when neither appears.
    public static func detect(in sources: [String]) -> ToolCallFormat? {
        if sources.contains(where: { $0.contains("<tool_call>") }) { return .hermes }
        if sources.contains(where: { $0.contains("\"parameters\": dictionary of argument name") || $0.contains("<|python_tag|>") }) {
            return .llama3JSON
        }
        return nil
    }
}
