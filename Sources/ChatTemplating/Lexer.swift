/// Splits a template into tokens the way jinja2's lexer does with
/// transformers' settings (`trim_blocks=True`, `lstrip_blocks=True`,
/// default delimiters, `keep_trailing_newline=False`):
///
/// - `\r\n` and `\r` become `\n`, and one trailing newline is dropped;
/// - `{%-`/`{{-`/`{#-` strip all whitespace before the tag, `-%}`/`-}}`/`-#}`
///   all whitespace after it;
/// - trim_blocks: the first newline after `%}` or `#}` is removed (not after
///   `}}`; `+%}` keeps it);
/// - lstrip_blocks: spaces and tabs between the start of a line and `{%` or
///   `{#` are removed (not before `{{`; `{%+` keeps them);
/// - `{% raw %}…{% endraw %}` is text;
/// - inside tags, `%}`/`}}` only close the tag when brackets are balanced.
struct Lexer {
    private let src: [UInt8]
    private var pos = 0
    private var lineStarting = true
    private var tokens: [Token] = []
    private var tracker: PositionTracker

    init(source: String) {
        src = Lexer.normalize(source)
        tracker = PositionTracker(bytes: src)
    }

    /// Newlines to `\n`, minus one trailing newline (`Lexer.tokeniter`).
    static func normalize(_ source: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(source.utf8.count)
        var previousCR = false
        for b in source.utf8 {
            if b == UInt8(ascii: "\r") { out.append(UInt8(ascii: "\n")); previousCR = true; continue }
            if b == UInt8(ascii: "\n") && previousCR { previousCR = false; continue }
            previousCR = false
            out.append(b)
        }
        if out.last == UInt8(ascii: "\n") { out.removeLast() }
        return out
    }

    mutating func tokenize() throws(TemplateError) -> [Token] {
        while pos < src.count {
            guard let t = nextTagStart(from: pos) else {
                emitData(pos..<src.count)
                break
            }
            let opener = src[t + 1]
            var afterOpen = t + 2
            var sign: UInt8 = 0
            if afterOpen < src.count, src[afterOpen] == UInt8(ascii: "-") || src[afterOpen] == UInt8(ascii: "+") {
                sign = src[afterOpen]
                afterOpen += 1
            }
            let rawEnd = opener == UInt8(ascii: "%") ? matchRaw(openerEnd: afterOpen) : nil
            emitText(pos..<t, sign: sign, lstripAllowed: opener != UInt8(ascii: "{"))
            lineStarting = false
            switch opener {
            case UInt8(ascii: "#"):
                try skipComment(start: t, contentStart: afterOpen)
            case UInt8(ascii: "%") where rawEnd != nil:
                pos = rawEnd!
                lineStarting = src[pos - 1] == UInt8(ascii: "\n")
                try lexRaw(start: t)
            default:
                let isBlock = opener == UInt8(ascii: "%")
                tokens.append(Token(kind: isBlock ? .blockBegin : .variableBegin, location: location(t)))
                pos = afterOpen
                try lexTag(block: isBlock, start: t)
            }
        }
        tokens.append(Token(kind: .eof, location: location(src.count)))
        return tokens
    }

    // MARK: - Text and whitespace control

    private func nextTagStart(from start: Int) -> Int? {
        var i = start
        while i + 1 < src.count {
            if src[i] == UInt8(ascii: "{") {
                let n = src[i + 1]
                if n == UInt8(ascii: "{") || n == UInt8(ascii: "%") || n == UInt8(ascii: "#") { return i }
            }
            i += 1
        }
        return nil
    }

    /// Text before a tag, with the tag's whitespace control applied.
    private mutating func emitText(_ range: Range<Int>, sign: UInt8, lstripAllowed: Bool) {
        var end = range.upperBound
        if sign == UInt8(ascii: "-") {
            end = range.lowerBound + Lexer.trailingWhitespaceStart(src[range])
        } else if sign != UInt8(ascii: "+") && lstripAllowed {
            let lineStart = (src[range].lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 }) ?? range.lowerBound
            if lineStart > range.lowerBound || lineStarting {
                let tail = src[lineStart..<range.upperBound]
                if !tail.isEmpty && Lexer.trailingWhitespaceStart(tail) == 0 { end = lineStart }
            }
        }
        emitData(range.lowerBound..<end)
    }

    private mutating func emitData(_ range: Range<Int>) {
        guard !range.isEmpty else { return }
        tokens.append(Token(kind: .data(String(decoding: src[range], as: UTF8.self)), location: location(range.lowerBound)))
    }

    /// Offset (from the slice start) where the slice's trailing Python
    /// whitespace begins (`str.rstrip()`).
    private static func trailingWhitespaceStart(_ bytes: ArraySlice<UInt8>) -> Int {
        let text = String(decoding: bytes, as: UTF8.self)
        return PyString.strip(text, chars: nil, leading: false, trailing: true).utf8.count
    }

    /// Length of the Python whitespace run starting at `i`.
    private func whitespaceRun(at i: Int) -> Int {
        var j = i
        while j < src.count {
            let b = src[j]
            if b < 0x80 {
                guard PyString.isSpace(Unicode.Scalar(b)) else { break }
                j += 1
            } else {
                guard let (scalar, width) = scalar(at: j), PyString.isSpace(scalar) else { break }
                j += width
            }
        }
        return j - i
    }

    private func scalar(at i: Int) -> (Unicode.Scalar, Int)? {
        var it = src[i...].makeIterator()
        var decoder = UTF8()
        guard case .scalarValue(let s) = decoder.decode(&it) else { return nil }
        return (s, UTF8.width(s))
    }

    private func hasPrefix(_ s: StaticString, at i: Int) -> Bool {
        let n = s.utf8CodeUnitCount
        guard i + n <= src.count else { return false }
        return s.withUTF8Buffer { p in
            for k in 0..<n where src[i + k] != p[k] { return false }
            return true
        }
    }

    private mutating func location(_ offset: Int) -> SourceLocation { tracker.location(at: offset) }

    private func syntaxError(_ message: String, at offset: Int) -> TemplateError {
        var t = tracker
        return TemplateError(.syntax, message, at: t.location(at: offset))
    }

    // MARK: - Comments and raw blocks

    private mutating func skipComment(start: Int, contentStart: Int) throws(TemplateError) {
        var i = contentStart
        while i + 1 < src.count, !(src[i] == UInt8(ascii: "#") && src[i + 1] == UInt8(ascii: "}")) { i += 1 }
        guard i + 1 < src.count else { throw syntaxError("Missing end of comment tag", at: start) }
        pos = tagEnd(closeAt: i, contentStart: contentStart)
        lineStarting = src[pos - 1] == UInt8(ascii: "\n")
    }

    /// End of a `%}` or `#}` closer found at `i`, after its whitespace control:
    /// `+` keeps what follows, `-` eats all whitespace, otherwise one newline goes (trim_blocks).
    private func tagEnd(closeAt i: Int, contentStart: Int) -> Int {
        var end = i + 2
        let before: UInt8 = i > contentStart ? src[i - 1] : 0
        if before == UInt8(ascii: "-") {
            end += whitespaceRun(at: end)
        } else if before != UInt8(ascii: "+"), end < src.count, src[end] == UInt8(ascii: "\n") {
            end += 1
        }
        return end
    }

    /// If `{%` + sign at `openerEnd` is `raw %}` or `raw -%}`, where the opener ends.
    private func matchRaw(openerEnd: Int) -> Int? {
        var i = openerEnd + whitespaceRun(at: openerEnd)
        guard hasPrefix("raw", at: i) else { return nil }
        i += 3
        i += whitespaceRun(at: i)
        if hasPrefix("-%}", at: i) { return i + 3 + whitespaceRun(at: i + 3) }
        if hasPrefix("%}", at: i) { return i + 2 }
        return nil
    }

    /// The body of a raw block up to `{% endraw %}`, as text.
    private mutating func lexRaw(start: Int) throws(TemplateError) {
        var p = pos
        while let t = nextTagStart(from: p) {
            defer { p = t + 1 }
            guard src[t + 1] == UInt8(ascii: "%") else { continue }
            var i = t + 2, sign: UInt8 = 0
            if i < src.count, src[i] == UInt8(ascii: "-") || src[i] == UInt8(ascii: "+") { sign = src[i]; i += 1 }
            i += whitespaceRun(at: i)
            guard hasPrefix("endraw", at: i) else { continue }
            i += 6
            i += whitespaceRun(at: i)
            let closeAt: Int
            if (hasPrefix("+%}", at: i) || hasPrefix("-%}", at: i)) { closeAt = i + 1 } else if hasPrefix("%}", at: i) { closeAt = i } else { continue }
            emitText(pos..<t, sign: sign, lstripAllowed: true)
            pos = tagEnd(closeAt: closeAt, contentStart: closeAt == i ? closeAt : i)
            lineStarting = src[pos - 1] == UInt8(ascii: "\n")
            return
        }
        throw syntaxError("Missing end of raw directive", at: start)
    }

    // MARK: - Inside {{ }} and {% %}

    private mutating func lexTag(block: Bool, start: Int) throws(TemplateError) {
        var balance: [UInt8] = []
        while true {
            guard pos < src.count else {
                throw syntaxError("unexpected end of template, expected '\(block ? "end of statement block" : "end of print statement")'", at: start)
            }
            if balance.isEmpty, let end = closer(block: block) {
                tokens.append(Token(kind: block ? .blockEnd : .variableEnd, location: location(pos)))
                pos = end
                lineStarting = src[pos - 1] == UInt8(ascii: "\n")
                return
            }
            let ws = whitespaceRun(at: pos)
            if ws > 0 { pos += ws; continue }
            let here = pos
            var scanner = TagScanner(src: src, pos: pos)
            let scanned: (Token.Kind, Int)?
            do { scanned = try scanner.next() } catch { throw error.located(location(here)) }
            guard let (kind, end) = scanned else {
                let shown = scalar(at: pos).map { String($0.0) } ?? "?"
                throw syntaxError("unexpected char \(Value.quote(shown)) at \(pos)", at: pos)
            }
            if case .op(let o) = kind {
                switch o {
                case "(": balance.append(UInt8(ascii: ")"))
                case "[": balance.append(UInt8(ascii: "]"))
                case "{": balance.append(UInt8(ascii: "}"))
                case ")", "]", "}":
                    guard let expected = balance.popLast() else { throw syntaxError("unexpected '\(o)'", at: here) }
                    if expected != o.utf8.first! {
                        throw syntaxError("unexpected '\(o)', expected '\(Character(Unicode.Scalar(expected)))'", at: here)
                    }
                default: break
                }
            }
            tokens.append(Token(kind: kind, location: location(here)))
            pos = end
        }
    }

    /// Where the tag's closing delimiter at `pos` ends, if there is one.
    private func closer(block: Bool) -> Int? {
        if block {
            if hasPrefix("+%}", at: pos) { return pos + 3 }
            if hasPrefix("-%}", at: pos) { return pos + 3 + whitespaceRun(at: pos + 3) }
            if hasPrefix("%}", at: pos) { return tagEnd(closeAt: pos, contentStart: pos) }
            return nil
        }
        if hasPrefix("-}}", at: pos) { return pos + 3 + whitespaceRun(at: pos + 3) }
        if hasPrefix("}}", at: pos) { return pos + 2 }
        return nil
    }
}
