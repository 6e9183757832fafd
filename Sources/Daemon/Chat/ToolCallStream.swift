import Foundation
import OrderedJSON

/// Reads tool calls out of generated text as it arrives, one per choice.
///
/// Text that cannot be part of a call is released at once; text that might
/// be (a partial `<tool_call>` tag, a Llama 3 output that starts with `{`)
/// is held until it is decided. A call is released whole, once complete, so
/// a streamed response sends each call in one delta; the non-streamed
/// response runs the same reader over the whole text, so both agree.
/// A call whose body is not a JSON object with a string `name` is released
/// as the text it was (as vLLM's parsers leave unparseable output as content).
struct ToolCallStream {
    enum Output: Equatable {
        case content(String)
        case call(ParsedToolCall)
    }

    let format: ToolCallFormat
    private var buffer = ""
    private var inCall = false
    /// llama3_json: nil until the first non-blank text decides between a
    /// JSON call (held to the end) and plain content.
    private var isJSONCall: Bool?

    static let open = "<tool_call>", close = "</tool_call>"
    static let pythonTag = "<|python_tag|>"

    init(format: ToolCallFormat) { self.format = format }

    /// Takes the next piece of text; returns what can be released now.
    mutating func feed(_ text: String) -> [Output] {
        buffer += text
        switch format {
        case .hermes: return drainHermes(final: false)
        case .llama3JSON: return drainJSON(final: false)
        }
    }

    /// The end of the output: releases everything held.
    mutating func finish() -> [Output] {
        switch format {
        case .hermes: return drainHermes(final: true)
        case .llama3JSON: return drainJSON(final: true)
        }
    }

    private mutating func drainHermes(final: Bool) -> [Output] {
        var out: [Output] = []
        while true {
            if !inCall {
                if let r = buffer.range(of: Self.open) {
                    if r.lowerBound > buffer.startIndex { out.append(.content(String(buffer[..<r.lowerBound]))) }
                    buffer = String(buffer[r.upperBound...])
                    inCall = true
                    continue
                }
                let keep = final ? 0 : Self.partialTagLength(buffer, tag: Self.open)
                let release = buffer.utf8.count - keep
                if release > 0 {
                    let cut = buffer.utf8.index(buffer.utf8.startIndex, offsetBy: release)
                    out.append(.content(String(buffer[..<cut])))
                    buffer = String(buffer[cut...])
                }
                return out
            }
            if let r = buffer.range(of: Self.close) {
                let body = String(buffer[..<r.lowerBound])
                out.append(Self.parseCall(body).map(Output.call) ?? .content(Self.open + body + Self.close))
                buffer = String(buffer[r.upperBound...])
                inCall = false
                continue
            }
            guard final else { return out }
            // Unterminated at the end (the model stopped before `</tool_call>`):
            // still a call when the body is a whole call object.
            out.append(Self.parseCall(buffer).map(Output.call) ?? .content(Self.open + buffer))
            buffer = ""
            inCall = false
            return out
        }
    }

    private mutating func drainJSON(final: Bool) -> [Output] {
        if isJSONCall == nil {
            let trimmed = buffer.drop(while: { $0.isWhitespace })
            if trimmed.isEmpty {
                if !final { return [] }
            } else if trimmed.hasPrefix("{") || trimmed.hasPrefix(Self.pythonTag) {
                isJSONCall = true
            } else if !final, Self.pythonTag.hasPrefix(trimmed) {
                return []   // maybe the start of <|python_tag|>
            } else {
                isJSONCall = false
            }
        }
        if isJSONCall == true {
            guard final else { return [] }
            defer { buffer = "" }
            if let calls = Self.parseJSONCalls(buffer) { return calls.map(Output.call) }
            return [.content(buffer)]
        }
        defer { buffer = "" }
        return buffer.isEmpty ? [] : [.content(buffer)]
    }

    /// Length in bytes of the longest end of `text` that begins `tag`.
    static func partialTagLength(_ text: String, tag: String) -> Int {
        let t = Array(text.utf8.suffix(tag.utf8.count - 1)), g = Array(tag.utf8)
        for n in stride(from: min(t.count, g.count - 1), to: 0, by: -1) where Array(t.suffix(n)) == Array(g.prefix(n)) {
            return n
        }
        return 0
    }

    /// `{"name": "…", "arguments" | "parameters": {…}}`, surrounding blanks allowed.
    static func parseCall(_ body: String) -> ParsedToolCall? {
        guard let value = try? JSONValue.parse(Array(body.utf8)) else { return nil }
        return call(value)
    }

    static func call(_ value: JSONValue) -> ParsedToolCall? {
        guard case .string(let name)? = value["name"], !name.isEmpty else { return nil }
        let arguments = value["arguments"] ?? value["parameters"] ?? .object([])
        // Some models write the arguments as a JSON string already.
        if case .string(let text) = arguments { return ParsedToolCall(name: name, arguments: text) }
        return ParsedToolCall(name: name, arguments: arguments.serialized())
    }

    /// Llama 3: `[<|python_tag|>] {…} [; {…}]…`, nothing else.
    static func parseJSONCalls(_ text: String) -> [ParsedToolCall]? {
        var rest = Substring(text).drop(while: { $0.isWhitespace })
        if rest.hasPrefix(pythonTag) { rest = rest.dropFirst(pythonTag.count) }
        var calls: [ParsedToolCall] = []
        while true {
            rest = rest.drop(while: { $0.isWhitespace })
            guard let end = objectEnd(rest) else { return nil }
            guard let value = try? JSONValue.parse(Array(rest[..<end].utf8)), let call = call(value) else { return nil }
            calls.append(call)
            rest = rest[end...].drop(while: { $0.isWhitespace })
            if rest.isEmpty { return calls }
            guard rest.first == ";" else { return nil }
            rest = rest.dropFirst()
        }
    }

    /// The index just past the JSON object `text` starts with (braces
    /// counted outside strings), or nil when it is not closed.
    static func objectEnd(_ text: Substring) -> Substring.Index? {
        guard text.first == "{" else { return nil }
        var depth = 0, inString = false, escaped = false
        var i = text.startIndex
        while i < text.endIndex {
            let c = text[i]
            if inString {
                if escaped { escaped = false } else if c == "\\" { escaped = true } else if c == "\"" { inString = false }
            } else if c == "\"" {
                inString = true
            } else if c == "{" || c == "[" {
                depth += 1
            } else if c == "}" || c == "]" {
                depth -= 1
                if depth == 0 { return text.index(after: i) }
            }
            i = text.index(after: i)
        }
        return nil
    }
}
