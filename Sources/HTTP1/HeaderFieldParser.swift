/// Parses field lines (RFC 9112 §5) shared by the header section and a chunked
/// body's trailer section.
enum HeaderFieldParser {
    /// Parses one field line (without its line terminator) into `headers`.
    static func parseLine(_ line: ArraySlice<UInt8>, into headers: inout HTTPHeaders) throws(HTTPParseError) {
        guard let first = line.first else { return }
        // §5.2: obs-fold is rejected with 400 outside message/http.
        if first == UInt8(ascii: " ") || first == UInt8(ascii: "\t") {
            throw .bad(.obsoleteLineFolding, "obsolete line folding (a field line starting with whitespace)")
        }
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else {
            throw .bad(.badHeader, "field line without a colon")
        }
        let name = line[line.startIndex..<colon]
        guard !name.isEmpty else { throw .bad(.badHeader, "empty field name") }
        for b in name where !isTokenByte(b) {
            // §5.1: no whitespace between name and colon; that must be a 400.
            throw .bad(.badHeader, "field name `\(printable(name))` contains an invalid character")
        }
        var v = line[(colon + 1)...]
        while let f = v.first, f == 0x20 || f == 0x09 { v.removeFirst() }
        while let l = v.last, l == 0x20 || l == 0x09 { v.removeLast() }
        for b in v where (b < 0x20 && b != 0x09) || b == 0x7F {
            throw .bad(.badHeader, "field `\(printable(name))` has a control character (0x\(String(b, radix: 16))) in its value")
        }
        headers.add(String(decoding: name, as: UTF8.self), String(decoding: v, as: UTF8.self))
    }

    /// tchar (RFC 9110 §5.6.2).
    static func isTokenByte(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return "!#$%&'*+-.^_`|~".utf8.contains(b)
        }
    }

    static func printable(_ bytes: ArraySlice<UInt8>) -> String {
        String(decoding: bytes.prefix(64).map { $0 >= 0x20 && $0 < 0x7F ? $0 : UInt8(ascii: "?") }, as: UTF8.self)
    }
}
