/// A recursive-descent parser for RFC 8259 over UTF-8 bytes. One pass, no
/// backtracking beyond a few bytes: linear in the input size, so multi-MB
/// tokenizer.json files are fine.
struct JSONParser {
    private let bytes: [UInt8]
    private let options: JSONParseOptions
    private var i = 0
    private var depth = 0

    init(bytes: [UInt8], options: JSONParseOptions) {
        self.bytes = bytes
        self.options = options
    }

    mutating func parseDocument() throws(JSONParseError) -> JSONValue {
        // A UTF-8 byte-order mark is tolerated (RFC 8259 §8.1 allows parsers to ignore it).
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { i = 3 }
        let value = try parseValue()
        skipWhitespace()
        guard i == bytes.count else { throw fail(expected: "end of input after the JSON value") }
        return value
    }

    // MARK: - Errors

    private func fail(expected: String) -> JSONParseError {
        fail(expected: expected, at: i)
    }

    private func fail(expected: String, at offset: Int) -> JSONParseError {
        JSONParseError(offset: offset, expected: expected, found: Self.describeByte(at: offset, in: bytes))
    }

    private static func describeByte(at offset: Int, in bytes: [UInt8]) -> String {
        guard offset < bytes.count else { return "end of input" }
        let b = bytes[offset]
        if b >= 0x21 && b < 0x7F { return "'\(Character(Unicode.Scalar(b)))'" }
        let hex = String(b, radix: 16, uppercase: true)
        return "byte 0x" + (hex.count < 2 ? "0" + hex : hex)
    }

    // MARK: - Structure

    /// RFC 8259 §2: insignificant whitespace is space, tab, LF and CR only.
    private mutating func skipWhitespace() {
        while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 { i += 1 }
    }

    private mutating func parseValue() throws(JSONParseError) -> JSONValue {
        skipWhitespace()
        guard i < bytes.count else { throw fail(expected: "a value") }
        switch bytes[i] {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "N") where options.allowNonFiniteNumbers:
            try literal("NaN"); return .float(.nan)
        case UInt8(ascii: "I") where options.allowNonFiniteNumbers:
            try literal("Infinity"); return .float(.infinity)
        case UInt8(ascii: "-") where options.allowNonFiniteNumbers && i + 1 < bytes.count && bytes[i + 1] == UInt8(ascii: "I"):
            i += 1; try literal("Infinity"); return .float(-.infinity)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        default: throw fail(expected: "a value")
        }
    }

    private mutating func literal(_ word: StaticString) throws(JSONParseError) {
        let n = word.utf8CodeUnitCount
        let matches = word.withUTF8Buffer { w in i + n <= bytes.count && bytes[i..<(i + n)].elementsEqual(w) }
        guard matches else { throw fail(expected: "the literal '\(word)'") }
        i += n
    }

    private mutating func enter() throws(JSONParseError) {
        depth += 1
        guard depth <= options.maxDepth else {
            throw fail(expected: "at most \(options.maxDepth) levels of nesting")
        }
    }

    private mutating func parseObject() throws(JSONParseError) -> JSONValue {
        try enter()
        defer { depth -= 1 }
        i += 1
        var members: JSONValue.Members = []
        // Keys seen so far, byte-exact (Swift `String` equality would merge
        // canonically equivalent keys), only when duplicates are refused.
        var seen = Set<[UInt8]>()
        skipWhitespace()
        if i < bytes.count && bytes[i] == UInt8(ascii: "}") { i += 1; return .object(members) }
        while true {
            skipWhitespace()
            guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw fail(expected: "a string key") }
            let keyOffset = i
            let key = try parseString()
            skipWhitespace()
            guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { throw fail(expected: "':'") }
            i += 1
            // Duplicate keys are all kept, in order (RFC 8259 §4 leaves them to the
            // reader); `JSONValue.subscript` picks the last, as Python and serde do.
            // Readers that must not guess refuse them instead.
            if options.rejectDuplicateKeys {
                let bytes = Array(key.utf8)
                guard seen.insert(bytes).inserted else {
                    throw JSONParseError(offset: keyOffset, expected: "a key not already in this object",
                                         found: "the duplicate key \"\(key)\"", duplicateKey: key)
                }
            }
            members.append((key, try parseValue()))
            skipWhitespace()
            guard i < bytes.count else { throw fail(expected: "',' or '}'") }
            if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
            if bytes[i] == UInt8(ascii: "}") { i += 1; return .object(members) }
            throw fail(expected: "',' or '}'")
        }
    }

    private mutating func parseArray() throws(JSONParseError) -> JSONValue {
        try enter()
        defer { depth -= 1 }
        i += 1
        var items: [JSONValue] = []
        skipWhitespace()
        if i < bytes.count && bytes[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
        while true {
            items.append(try parseValue())
            skipWhitespace()
            guard i < bytes.count else { throw fail(expected: "',' or ']'") }
            if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
            if bytes[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
            throw fail(expected: "',' or ']'")
        }
    }

    // MARK: - Numbers

    /// RFC 8259 §6: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    private mutating func parseNumber() throws(JSONParseError) -> JSONValue {
        let start = i
        let negative = bytes[i] == UInt8(ascii: "-")
        if negative { i += 1 }
        let intStart = i
        skipDigits()
        guard i > intStart else { throw fail(expected: "a digit") }
        if i - intStart > 1 && bytes[intStart] == UInt8(ascii: "0") {
            throw fail(expected: "no leading zero in a number", at: intStart)
        }
        var isInteger = true
        if i < bytes.count && bytes[i] == UInt8(ascii: ".") {
            isInteger = false
            i += 1
            let fracStart = i
            skipDigits()
            guard i > fracStart else { throw fail(expected: "a digit after '.'") }
        }
        if i < bytes.count && (bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E")) {
            isInteger = false
            i += 1
            if i < bytes.count && (bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-")) { i += 1 }
            let expStart = i
            skipDigits()
            guard i > expStart else { throw fail(expected: "a digit in the exponent") }
        }
        if isInteger, let n = integer(digits: intStart..<i, negative: negative) { return .integer(n) }
        // The grammar was checked above, so Double's parser (which also takes
        // "inf", hex, …) only ever sees an RFC 8259 number here.
        guard let d = Double(String(decoding: bytes[start..<i], as: UTF8.self)) else {
            throw fail(expected: "a number", at: start)
        }
        return .float(d)
    }

    private mutating func skipDigits() {
        while i < bytes.count, bytes[i] >= UInt8(ascii: "0") && bytes[i] <= UInt8(ascii: "9") { i += 1 }
    }

    /// The digits as an `Int`, or nil when they do not fit (the caller then reads a float).
    private func integer(digits: Range<Int>, negative: Bool) -> Int? {
        var n = 0
        for k in digits {
            let d = Int(bytes[k] - UInt8(ascii: "0"))
            // Accumulate negatively so Int.min is representable.
            let (m, o1) = n.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.subtractingReportingOverflow(d)
            if o1 || o2 { return nil }
            n = s
        }
        if negative { return n }
        return n == Int.min ? nil : -n
    }

    // MARK: - Strings

    /// RFC 8259 §7. Unescaped runs are copied as they are (byte-exact), then the
    /// whole string is checked to be valid UTF-8 (§8.1).
    private mutating func parseString() throws(JSONParseError) -> String {
        let open = i
        i += 1
        var out: [UInt8] = []
        var runStart = i
        var nonASCII: UInt8 = 0
        while true {
            guard i < bytes.count else { throw fail(expected: "'\"' closing the string that starts at byte \(open)") }
            let b = bytes[i]
            if b == UInt8(ascii: "\"") { break }
            if b < 0x20 { throw fail(expected: "a control character to be escaped") }
            if b != UInt8(ascii: "\\") { nonASCII |= b; i += 1; continue }
            out.append(contentsOf: bytes[runStart..<i])
            i += 1
            guard i < bytes.count else { throw fail(expected: "an escape character") }
            let e = bytes[i]
            i += 1
            switch e {
            case UInt8(ascii: "\""): out.append(0x22)
            case UInt8(ascii: "\\"): out.append(0x5C)
            case UInt8(ascii: "/"): out.append(0x2F)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"): try unicodeEscape(into: &out)
            default: throw fail(expected: "one of \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u", at: i - 1)
            }
            runStart = i
        }
        let string: String?
        if out.isEmpty {
            // No escapes: decode straight from the input.
            string = nonASCII < 0x80 ? String(decoding: bytes[runStart..<i], as: UTF8.self)
                                     : Self.validUTF8(bytes[runStart..<i])
        } else {
            out.append(contentsOf: bytes[runStart..<i])
            string = nonASCII < 0x80 ? String(decoding: out, as: UTF8.self) : Self.validUTF8(out[...])
        }
        guard let string else { throw fail(expected: "valid UTF-8 in the string", at: open) }
        i += 1 // closing quote
        return string
    }

    /// Decodes `\uXXXX` (the `\u` already consumed), joining a UTF-16 surrogate pair.
    private mutating func unicodeEscape(into out: inout [UInt8]) throws(JSONParseError) {
        let escapeStart = i - 2
        var code = try hex4()
        if code >= 0xD800 && code < 0xDC00 {
            if i + 1 < bytes.count && bytes[i] == UInt8(ascii: "\\") && bytes[i + 1] == UInt8(ascii: "u") {
                let save = i
                i += 2
                let low = try hex4()
                if low >= 0xDC00 && low < 0xE000 {
                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                } else {
                    i = save // the next escape is decoded on its own
                }
            }
        }
        if code >= 0xD800 && code < 0xE000 {
            guard options.loneSurrogates == .replace else {
                throw fail(expected: "a surrogate pair (high \\uD800-\\uDBFF then low \\uDC00-\\uDFFF)", at: escapeStart)
            }
            code = 0xFFFD
        }
        // Cannot fail: surrogates were handled and four hex digits stay below 0x110000.
        let scalar = Unicode.Scalar(code) ?? "\u{FFFD}"
        UTF8.encode(scalar) { out.append($0) }
    }

    private mutating func hex4() throws(JSONParseError) -> UInt32 {
        var v: UInt32 = 0
        for _ in 0..<4 {
            guard i < bytes.count else { throw fail(expected: "four hex digits after \\u") }
            let c = bytes[i]
            let d: UInt32
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt32(c - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt32(c - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt32(c - UInt8(ascii: "A") + 10)
            default: throw fail(expected: "four hex digits after \\u")
            }
            v = v << 4 | d
            i += 1
        }
        return v
    }

    /// Strict UTF-8 decoding (nil on invalid input) without the macOS 15-only
    /// `String(validating:as:)`: decoding repairs invalid sequences with
    /// U+FFFD, so the input was valid exactly when the bytes round-trip.
    private static func validUTF8(_ bytes: ArraySlice<UInt8>) -> String? {
        let s = String(decoding: bytes, as: UTF8.self)
        return s.utf8.elementsEqual(bytes) ? s : nil
    }
}
