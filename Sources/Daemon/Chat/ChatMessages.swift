import OrderedJSON

/// An OpenAI `messages` list made into what a chat template reads, as
/// transformers' callers (vLLM's `parse_chat_messages`, `apply_chat_template`) do:
/// - keys whose value is null are dropped (`apply_chat_template`), so
///   `message.content is defined` means there is content;
/// - content given as a list of `{"type": "text", "text": …}` parts is kept
///   as that list of parts for a template that loops over content, and
///   otherwise becomes one string, the parts joined by "\n"
///   (`joiningTextParts`; vLLM's "openai" and "string" content formats);
/// - an assistant's `tool_calls[].function.arguments` JSON string is parsed
///   into an object (templates iterate `arguments.items()` or `tojson` it);
/// - a reasoning field (`reasoning_content`, `reasoning` or `thinking`) is
///   also given under `reasoning_content` and `thinking` (transformers 5).
/// Other members (`name`, `tool_call_id`, …) are passed through unchanged.
enum ChatMessages {
    /// OpenAI's roles. Others (Llama 3's `ipython`, a template's own) are
    /// passed on as well, as vLLM's custom message parameter passes them:
    /// the template decides what a role means.
    static let roles: Set<String> = ["system", "developer", "user", "assistant", "tool"]

    /// - Throws: `JSONAccessError` naming the message and member at fault.
    static func templateMessages(_ node: JSONNode) throws -> JSONValue {
        let items = try node.array()
        guard !items.isEmpty else { throw node.mismatch("at least one message") }
        return .array(try items.map(message))
    }

    static func message(_ node: JSONNode) throws -> JSONValue {
        let members = try node.members()
        let role = try node.required("role").string()
        guard !role.isEmpty else {
            throw JSONAccessError(path: node.path(of: "role"), expected: "a role such as " + roles.sorted().joined(separator: ", "),
                                  found: "\"\"")
        }
        var out: JSONValue.Members = []
        var reasoning: JSONValue?
        for (key, child) in members where !child.value.isNull {
            switch key {
            case "content":
                out.append((key, try content(child)))
            case "tool_calls":
                guard role == "assistant" else { throw child.mismatch("no tool_calls (only assistant messages carry them)") }
                out.append((key, .array(try child.array().map(toolCall))))
            case "reasoning_content", "reasoning", "thinking":
                _ = try child.string()
                reasoning = reasoning ?? child.value
                out.append((key, child.value))
            default:
                out.append((key, child.value))
            }
        }
        if let reasoning {
            for alias in ["reasoning_content", "thinking"] where !out.contains(where: { $0.key == alias }) {
                out.append((alias, reasoning))
            }
        }
        // OpenAI's rule: every message has content, except an assistant's
        // that carries tool calls. (A template reading a missing content
        // fails with an error about its own internals instead.)
        let has = { (key: String) in out.contains { $0.key == key } }
        if !has("content"), !(role == "assistant" && has("tool_calls")) {
            throw JSONAccessError(path: node.path(of: "content"), expected: role == "assistant"
                ? "a string or a list of text parts (an assistant message without tool_calls needs content)"
                : "a string or a list of text parts (a \(role) message needs content)", found: "nothing")
        }
        return .object(out)
    }

    /// A string, or a list of text parts, each `{"type": "text", "text": …}`.
    static func content(_ node: JSONNode) throws -> JSONValue {
        if case .string = node.value { return node.value }
        guard case .array = node.value else { throw node.mismatch("a string or a list of {\"type\": \"text\"} parts") }
        var parts: [JSONValue] = []
        for part in try node.array() {
            let type = try part.required("type").string()
            guard type == "text" else {
                throw JSONAccessError(path: part.path(of: "type"), expected: "\"text\" (only text content is supported)",
                                      found: JSONString.quoted(type))
            }
            parts.append(.object([("type", .string("text")), ("text", .string(try part.required("text").string()))]))
        }
        return .array(parts)
    }

    /// `messages` with every content list made one string, its parts'
    /// texts joined by "\n" (vLLM's "string" content format: what a
    /// template that does not loop over content expects).
    static func joiningTextParts(_ messages: JSONValue) -> JSONValue {
        guard case .array(let list) = messages else { return messages }
        return .array(list.map { message in
            guard case .object(let members) = message else { return message }
            return .object(members.map { key, value in
                guard key == "content", case .array(let parts) = value else { return (key, value) }
                return (key, .string(parts.compactMap { $0["text"]?.stringValue }.joined(separator: "\n")))
            })
        })
    }

    /// `{"id", "type": "function", "function": {"name", "arguments"}}` with
    /// `arguments` parsed from its JSON string (an object given as such is kept).
    static func toolCall(_ node: JSONNode) throws -> JSONValue {
        guard case .object(let members) = node.value else { throw node.mismatch("a tool call object") }
        let function = try node.required("function")
        _ = try function.required("name").string()
        let arguments = try function.required("arguments")
        var parsed = arguments.value
        if case .string(let text) = arguments.value {
            do { parsed = try JSONValue.parse(Array(text.utf8)) } catch {
                throw arguments.mismatch("a JSON string holding an object (\(error))")
            }
        }
        guard case .object = parsed else { throw arguments.mismatch("a JSON object (as a string)") }
        var fn: JSONValue.Members = []
        for (key, value) in try function.members().map({ ($0.key, $0.node.value) }) where !value.isNull {
            fn.append((key, key == "arguments" ? parsed : value))
        }
        var out: JSONValue.Members = []
        for (key, value) in members where !value.isNull {
            out.append((key, key == "function" ? .object(fn) : value))
        }
        return .object(out)
    }
}
