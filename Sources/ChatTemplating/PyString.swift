import Foundation

/// Python `str` semantics on Swift strings. Python strings are sequences of
/// code points compared by value; Swift's `String` compares by canonical
/// equivalence and indexes by grapheme cluster, so everything here works on
/// UTF-8 bytes or Unicode scalars instead (UTF-8 byte order is code-point
/// order, and a UTF-8 substring match is a code-point substring match).
enum PyString {
    static func equal(_ a: String, _ b: String) -> Bool {
        var a = a, b = b
        return a.withUTF8 { x in b.withUTF8 { y in
            x.count == y.count && (x.count == 0 || memcmp(x.baseAddress!, y.baseAddress!, x.count) == 0)
        } }
    }

    /// -1, 0 or 1 by code points (Python's `<` on str).
    static func compare(_ a: String, _ b: String) -> Int {
        var a = a, b = b
        return a.withUTF8 { x in b.withUTF8 { y in
            let n = min(x.count, y.count)
            let c = n == 0 ? 0 : memcmp(x.baseAddress!, y.baseAddress!, n)
            if c != 0 { return c < 0 ? -1 : 1 }
            return x.count == y.count ? 0 : (x.count < y.count ? -1 : 1)
        } }
    }

    static func hash(_ s: String, into h: inout Hasher) {
        var s = s
        s.withUTF8 { h.combine(bytes: UnsafeRawBufferPointer($0)) }
    }

    /// `len(s)`: the number of code points.
    static func length(_ s: String) -> Int { s.unicodeScalars.count }

    /// Byte offset of the first occurrence of `needle` in `haystack` at or
    /// after byte `from`. Linear time whatever the input (Knuth–Morris–Pratt
    /// for longer needles), so a hostile template cannot make a search quadratic.
    static func find(_ needle: [UInt8], in haystack: [UInt8], from: Int = 0) -> Int? {
        let n = needle.count, h = haystack.count
        if n == 0 { return from <= h ? from : nil }
        guard from >= 0, h - from >= n else { return nil }
        if n <= 8 {
            var i = from
            while i <= h - n {
                if haystack[i] == needle[0] {
                    var k = 1
                    while k < n && haystack[i + k] == needle[k] { k += 1 }
                    if k == n { return i }
                }
                i += 1
            }
            return nil
        }
        var failure = [Int](repeating: 0, count: n)
        var k = 0
        for i in 1..<n {
            while k > 0 && needle[i] != needle[k] { k = failure[k - 1] }
            if needle[i] == needle[k] { k += 1 }
            failure[i] = k
        }
        k = 0
        for i in from..<h {
            while k > 0 && haystack[i] != needle[k] { k = failure[k - 1] }
            if haystack[i] == needle[k] { k += 1 }
            if k == n { return i - n + 1 }
        }
        return nil
    }

    /// Byte offset of the last occurrence of `needle` starting at or before `upTo - needle.count`.
    static func findLast(_ needle: [UInt8], in haystack: [UInt8], upTo end: Int) -> Int? {
        var position: Int? = nil
        var from = 0
        while let p = find(needle, in: haystack, from: from), p + needle.count <= end {
            position = p
            from = p + 1
        }
        return position
    }

    static func contains(_ haystack: String, _ needle: String) -> Bool {
        find(Array(needle.utf8), in: Array(haystack.utf8)) != nil
    }

    static func hasPrefix(_ s: String, _ prefix: String) -> Bool {
        s.utf8.count >= prefix.utf8.count && s.utf8.starts(with: prefix.utf8)
    }

    static func hasSuffix(_ s: String, _ suffix: String) -> Bool {
        s.utf8.count >= suffix.utf8.count && s.utf8.reversed().starts(with: suffix.utf8.reversed())
    }

    /// `s * n` (n ≥ 0), built by doubling copies of the bytes.
    static func repeated(_ s: String, _ times: Int) -> String {
        let unit = Array(s.utf8)
        guard times > 0, !unit.isEmpty else { return "" }
        var bytes = [UInt8]()
        bytes.reserveCapacity(unit.count * times)
        bytes.append(contentsOf: unit)
        while bytes.count * 2 <= unit.count * times { bytes.append(contentsOf: bytes) }
        bytes.append(contentsOf: bytes[0..<(unit.count * times - bytes.count)])
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `s.count(sub)`: non-overlapping occurrences.
    static func count(_ s: String, _ sub: String) -> Int {
        let h = Array(s.utf8), n = Array(sub.utf8)
        if n.isEmpty { return length(s) + 1 }
        var count = 0, from = 0
        while let p = find(n, in: h, from: from) { count += 1; from = p + n.count }
        return count
    }

    /// `s.replace(old, new, count)`; a negative count replaces all. An empty
    /// `old` inserts `new` before every code point and at the end, as Python does.
    static func replace(_ s: String, _ old: String, _ new: String, count limit: Int = -1) -> String {
        if limit == 0 { return s }
        if old.isEmpty {
            var out = "", done = 0
            for scalar in s.unicodeScalars {
                if limit < 0 || done < limit { out += new; done += 1 }
                out.unicodeScalars.append(scalar)
            }
            if limit < 0 || done < limit { out += new }
            return out
        }
        let h = Array(s.utf8), o = Array(old.utf8), n = Array(new.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(h.count)
        var from = 0, done = 0
        while limit < 0 || done < limit, let p = find(o, in: h, from: from) {
            out.append(contentsOf: h[from..<p])
            out.append(contentsOf: n)
            from = p + o.count
            done += 1
        }
        out.append(contentsOf: h[from...])
        return String(decoding: out, as: UTF8.self)
    }

    /// `str.isspace()` for one code point: categories Zs, Zl, Zp and the
    /// bidirectional classes WS, B, S (the ASCII controls \t\n\v\f\r and \x1c–\x1f, plus \x85).
    static func isSpace(_ c: Unicode.Scalar) -> Bool {
        switch c.value {
        case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
            return true
        default:
            return false
        }
    }

    /// `strip`/`lstrip`/`rstrip`: without `chars`, Unicode whitespace; with
    /// them, any of their code points.
    static func strip(_ s: String, chars: String?, leading: Bool, trailing: Bool) -> String {
        let set = chars.map { Set($0.unicodeScalars) }
        let drop: (Unicode.Scalar) -> Bool = { c in set?.contains(c) ?? isSpace(c) }
        let scalars = s.unicodeScalars
        var start = scalars.startIndex, end = scalars.endIndex
        if leading { while start < end, drop(scalars[start]) { start = scalars.index(after: start) } }
        if trailing {
            while end > start {
                let before = scalars.index(before: end)
                if !drop(scalars[before]) { break }
                end = before
            }
        }
        return String(scalars[start..<end])
    }

    /// `s.split(sep, maxsplit)`. Without `sep`: runs of whitespace, no empty
    /// strings; with it: exact separators, empty strings kept. `sep` must not be empty.
    static func split(_ s: String, separator: String?, maxSplit: Int) -> [String] {
        guard let separator else { return splitWhitespace(Array(s.unicodeScalars), maxSplit: maxSplit, fromEnd: false) }
        let h = Array(s.utf8), sep = Array(separator.utf8)
        var parts: [String] = [], from = 0
        while maxSplit < 0 || parts.count < maxSplit, let p = find(sep, in: h, from: from) {
            parts.append(String(decoding: h[from..<p], as: UTF8.self))
            from = p + sep.count
        }
        parts.append(String(decoding: h[from...], as: UTF8.self))
        return parts
    }

    /// `s.rsplit(sep, maxsplit)`: like `split` but splitting from the right.
    static func rsplit(_ s: String, separator: String?, maxSplit: Int) -> [String] {
        guard let separator else { return splitWhitespace(Array(s.unicodeScalars), maxSplit: maxSplit, fromEnd: true) }
        if maxSplit < 0 { return split(s, separator: separator, maxSplit: -1) }
        let h = Array(s.utf8), sep = Array(separator.utf8)
        var parts: [String] = [], end = h.count
        while parts.count < maxSplit, let p = findLast(sep, in: h, upTo: end) {
            parts.append(String(decoding: h[(p + sep.count)..<end], as: UTF8.self))
            end = p
        }
        parts.append(String(decoding: h[0..<end], as: UTF8.self))
        return parts.reversed()
    }

    private static func splitWhitespace(_ scalars: [Unicode.Scalar], maxSplit: Int, fromEnd: Bool) -> [String] {
        let chars = fromEnd ? Array(scalars.reversed()) : scalars
        var parts: [[Unicode.Scalar]] = []
        var i = 0
        while i < chars.count {
            while i < chars.count, isSpace(chars[i]) { i += 1 }
            if i == chars.count { break }
            if maxSplit >= 0, parts.count == maxSplit {
                // The rest, trailing whitespace included, is the last part.
                parts.append(Array(chars[i...]))
                break
            }
            let start = i
            while i < chars.count, !isSpace(chars[i]) { i += 1 }
            parts.append(Array(chars[start..<i]))
        }
        if fromEnd { parts = parts.map { $0.reversed() }.reversed() }
        return parts.map { part in var s = ""; s.unicodeScalars.append(contentsOf: part); return s }
    }

    /// `s.splitlines(keepends)`: Python's line boundaries (\n, \r, \r\n, \v, \f, \x1c–\x1e, \x85, \u2028, \u2029).
    static func splitLines(_ s: String, keepEnds: Bool) -> [String] {
        let scalars = Array(s.unicodeScalars)
        var lines: [String] = [], start = 0, i = 0
        func emit(_ end: Int, _ next: Int) {
            var line = ""
            line.unicodeScalars.append(contentsOf: scalars[start..<(keepEnds ? next : end)])
            lines.append(line)
            start = next
        }
        while i < scalars.count {
            switch scalars[i].value {
            case 0x0D:
                let next = (i + 1 < scalars.count && scalars[i + 1] == "\n") ? i + 2 : i + 1
                emit(i, next); i = next
            case 0x0A, 0x0B, 0x0C, 0x1C, 0x1D, 0x1E, 0x85, 0x2028, 0x2029:
                emit(i, i + 1); i += 1
            default:
                i += 1
            }
        }
        if start < scalars.count { emit(scalars.count, scalars.count) }
        return lines
    }
}
