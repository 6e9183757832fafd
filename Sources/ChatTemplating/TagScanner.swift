/// Reads one token inside `{{ }}` or `{% %}`: a float, integer, name, string
/// or operator, tried in that order as jinja2's tag rules are.
struct TagScanner {
    let src: [UInt8]
    var pos: Int

    private static let twoByteOperators: Set<String> = ["**", "//", "==", "!=", ">=", "<="]
    private static let oneByteOperators = Set("+-/*%~[](){}><=.:|,;".utf8)

    /// The token at `pos` and where it ends, or nil if no rule matches.
    mutating func next() throws(TemplateError) -> (Token.Kind, Int)? {
        if let end = floatEnd() {
            let text = String(decoding: src[pos..<end].filter { $0 != UInt8(ascii: "_") }, as: UTF8.self)
            guard let d = Double(text) else { throw TemplateError(.syntax, "invalid float literal '\(text)'") }
            return (.float(d), end)
        }
        if let (value, end) = try integer() { return (.integer(value), end) }
        if let end = nameEnd() { return (.name(String(decoding: src[pos..<end], as: UTF8.self)), end) }
        if let end = stringEnd() {
            do {
                return (.string(try StringLiteral.decode(src[(pos + 1)..<(end - 1)])), end)
            } catch {
                throw TemplateError(.syntax, error.message)
            }
        }
        // Longest operator first, as jinja2's operator regex is sorted by length.
        if pos + 1 < src.count {
            let two = String(decoding: src[pos...(pos + 1)], as: UTF8.self)
            if TagScanner.twoByteOperators.contains(two) { return (.op(two), pos + 2) }
        }
        if TagScanner.oneByteOperators.contains(src[pos]) {
            return (.op(String(decoding: src[pos...pos], as: UTF8.self)), pos + 1)
        }
        return nil
    }

    private func byte(_ i: Int) -> UInt8? { i < src.count ? src[i] : nil }
    private func isDigit(_ i: Int) -> Bool { byte(i).map { $0 >= 48 && $0 <= 57 } ?? false }

    /// `(\d+_)*\d+` from `i`: digits with single underscores between them.
    private func digitGroups(from i: Int) -> Int? {
        guard isDigit(i) else { return nil }
        var j = i
        while true {
            while isDigit(j) { j += 1 }
            if byte(j) == UInt8(ascii: "_"), isDigit(j + 1) { j += 1; continue }
            return j
        }
    }

    /// jinja2's `float_re`: digits, then an exponent (fraction optional) or a
    /// fraction; not right after a `.` (so `foo.0.1` is items, not a float).
    private func floatEnd() -> Int? {
        if pos > 0, src[pos - 1] == UInt8(ascii: ".") { return nil }
        guard let whole = digitGroups(from: pos) else { return nil }
        var fractionEnd: Int? = nil
        if byte(whole) == UInt8(ascii: "."), let f = digitGroups(from: whole + 1) { fractionEnd = f }
        let mantissaEnd = fractionEnd ?? whole
        if let e = byte(mantissaEnd), e == UInt8(ascii: "e") || e == UInt8(ascii: "E") {
            var k = mantissaEnd + 1
            if byte(k) == UInt8(ascii: "+") || byte(k) == UInt8(ascii: "-") { k += 1 }
            if let end = digitGroups(from: k) { return end }
        }
        return fractionEnd
    }

    /// jinja2's `integer_re`: `0b…`, `0o…`, `0x…` (underscores allowed), decimal, or zeros.
    private func integer() throws(TemplateError) -> (Int, Int)? {
        guard isDigit(pos) else { return nil }
        let lower = byte(pos + 1).map { $0 | 0x20 }
        if src[pos] == UInt8(ascii: "0"), let l = lower, l == UInt8(ascii: "b") || l == UInt8(ascii: "o") || l == UInt8(ascii: "x") {
            let radix = l == UInt8(ascii: "b") ? 2 : (l == UInt8(ascii: "o") ? 8 : 16)
            var j = pos + 2, digits: [UInt8] = []
            while true {
                let k = byte(j) == UInt8(ascii: "_") ? j + 1 : j
                guard let c = byte(k), let v = TagScanner.digitValue(c), v < radix else { break }
                digits.append(c)
                j = k + 1
            }
            if !digits.isEmpty {
                guard let value = Int(String(decoding: digits, as: UTF8.self), radix: radix) else {
                    throw TemplateError(.syntax, "integer literal too large")
                }
                return (value, j)
            }
        }
        var j = pos + 1
        let zero = src[pos] == UInt8(ascii: "0")
        while true {
            let k = byte(j) == UInt8(ascii: "_") ? j + 1 : j
            guard isDigit(k), !zero || src[k] == UInt8(ascii: "0") else { break }
            j = k + 1
        }
        let text = String(decoding: src[pos..<j].filter { $0 != UInt8(ascii: "_") }, as: UTF8.self)
        guard let value = Int(text) else { throw TemplateError(.syntax, "integer literal too large: \(text)") }
        return (value, j)
    }

    private static func digitValue(_ c: UInt8) -> Int? {
        switch c {
        case 48...57: return Int(c) - 48
        case 97...102: return Int(c) - 87
        case 65...70: return Int(c) - 55
        default: return nil
        }
    }

    /// An identifier: a letter or `_`, then letters, digits or `_` (Unicode XID).
    private func nameEnd() -> Int? {
        var j = pos
        var first = true
        while j < src.count {
            let b = src[j]
            if b < 0x80 {
                // ASCII: letters, `_`, and digits after the first character.
                let letter = (b | 0x20) >= 97 && (b | 0x20) <= 122 || b == 95
                guard letter || (!first && b >= 48 && b <= 57) else { break }
                first = false
                j += 1
                continue
            }
            var it = src[j...].makeIterator()
            var decoder = UTF8()
            guard case .scalarValue(let s) = decoder.decode(&it) else { break }
            let ok = s == "_" || (first ? s.properties.isXIDStart : s.properties.isXIDContinue)
            guard ok else { break }
            first = false
            j += UTF8.width(s)
        }
        return j > pos ? j : nil
    }

    /// A quoted string: `'…'` or `"…"`, backslash escaping the next character.
    private func stringEnd() -> Int? {
        guard let q = byte(pos), q == UInt8(ascii: "'") || q == UInt8(ascii: "\"") else { return nil }
        var j = pos + 1
        while j < src.count {
            if src[j] == UInt8(ascii: "\\") { j += 2; continue }
            if src[j] == q { return j + 1 }
            j += 1
        }
        return nil
    }
}
