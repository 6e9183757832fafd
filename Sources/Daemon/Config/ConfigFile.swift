/// The syntax of `lorad.conf`, independent of which keys exist.
///
/// Rules (documented at the top of `etc/lorad.conf`):
/// - one `key = value` per line; blank lines are ignored;
/// - `#` starts a comment at the beginning of a line, or after whitespace
///   anywhere else (`max_batch = 8   # per step`), so a `#` inside a value such
///   as a path needs the value in double quotes;
/// - a value may be double-quoted to keep leading/trailing spaces or `#`;
///   inside quotes `\"` and `\\` are the only escapes;
/// - a key may appear only once per file (`duplicateKey`): with several
///   layers of overrides, a silently ignored earlier line is a classic
///   misconfiguration. Multi-valued keys (`listen`) take a comma-separated list.
/// - CRLF line ends and a leading UTF-8 BOM are tolerated.
public enum ConfigFile {
    /// One `key = value` line of a configuration file.
    public struct Entry: Equatable, Sendable {
        public var key: String
        public var value: String
        /// 1-based line number in the file.
        public var line: Int

        public init(key: String, value: String, line: Int) {
            self.key = key
            self.value = value
            self.line = line
        }
    }

    /// Splits `text` into entries, in file order.
    ///
    /// - Parameter file: the name used in error messages (usually the path).
    /// - Throws: `ConfigError.syntax` or `ConfigError.duplicateKey`.
    public static func parse(text: String, file: String) throws(ConfigError) -> [Entry] {
        var entries: [Entry] = []
        var firstLine: [String: Int] = [:]
        var body = Substring(text)
        if body.hasPrefix("\u{FEFF}") { body = body.dropFirst() }
        var number = 0
        // "\r\n" is one Character in Swift, so it is a separator of its own.
        for rawLine in body.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            number += 1
            var line = rawLine
            if line.hasSuffix("\r") { line = line.dropLast() }
            let trimmed = line.trimmingSpaces()
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            guard let eq = trimmed.firstIndex(of: "=") else {
                throw .syntax(file: file, line: number, detail: "expected 'key = value'")
            }
            let key = String(trimmed[..<eq].trimmingSpaces())
            guard !key.isEmpty else {
                throw .syntax(file: file, line: number, detail: "missing key before '='")
            }
            guard key.allSatisfy(isKeyCharacter) else {
                throw .syntax(file: file, line: number, detail: "'\(key)' is not a key (letters, digits and '_' only)")
            }
            let value = try parseValue(trimmed[trimmed.index(after: eq)...], file: file, line: number)
            if let first = firstLine[key] {
                throw .duplicateKey(file: file, line: number, key: key, firstLine: first)
            }
            firstLine[key] = number
            entries.append(Entry(key: key, value: value, line: number))
        }
        return entries
    }

    private static func isKeyCharacter(_ c: Character) -> Bool {
        c == "_" || c == "-" || (c.isASCII && (c.isLetter || c.isNumber))
    }

    /// The value part after `=`: quoted, or bare up to a whitespace-preceded `#`.
    private static func parseValue(_ raw: Substring, file: String, line: Int) throws(ConfigError) -> String {
        let text = raw.trimmingSpaces()
        if text.first == "\"" {
            var out = ""
            var index = text.index(after: text.startIndex)
            var closed = false
            while index < text.endIndex {
                let c = text[index]
                if c == "\\" {
                    let next = text.index(after: index)
                    guard next < text.endIndex, text[next] == "\"" || text[next] == "\\" else {
                        throw .syntax(file: file, line: line, detail: "only \\\" and \\\\ are escapes inside quotes")
                    }
                    out.append(text[next])
                    index = text.index(after: next)
                    continue
                }
                if c == "\"" { closed = true; index = text.index(after: index); break }
                out.append(c)
                index = text.index(after: index)
            }
            guard closed else { throw .syntax(file: file, line: line, detail: "unterminated quoted value") }
            let rest = text[index...].trimmingSpaces()
            guard rest.isEmpty || rest.hasPrefix("#") else {
                throw .syntax(file: file, line: line, detail: "unexpected text after the quoted value")
            }
            return out
        }
        if text.hasPrefix("#") { return "" }
        var end = text.endIndex
        var previous: Character = "x"
        for index in text.indices {
            let c = text[index]
            if c == "#" && (previous == " " || previous == "\t") { end = index; break }
            previous = c
        }
        return String(text[..<end].trimmingSpaces())
    }
}
