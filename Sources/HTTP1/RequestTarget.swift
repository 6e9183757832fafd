/// Parsing of the request-target (RFC 9112 §3.2) and percent-decoding
/// (RFC 3986 §2.1).
enum RequestTarget {
    struct Parsed {
        var path: String
        var segments: [String]
        var rawQuery: String?
        var queryItems: [QueryItem]
    }

    static func parse(_ bytes: ArraySlice<UInt8>, method: HTTPMethod) throws(HTTPParseError) -> Parsed {
        guard let first = bytes.first else { throw .bad(.badTarget, "empty request target") }
        for b in bytes where b <= 0x20 || b >= 0x7F || b == UInt8(ascii: "#") {
            throw .bad(.badTarget, "request target contains byte 0x\(String(b, radix: 16)) which is not allowed")
        }
        if first == UInt8(ascii: "*") {
            guard bytes.count == 1, method == .OPTIONS else {
                throw .bad(.badTarget, "asterisk-form target is only valid as `OPTIONS *`")
            }
            return Parsed(path: "*", segments: [], rawQuery: nil, queryItems: [])
        }
        var origin = bytes
        if first != UInt8(ascii: "/") {
            // absolute-form (§3.2.2): scheme "://" authority path-abempty [ "?" query ]
            let text = String(decoding: bytes, as: UTF8.self).lowercased()
            guard text.hasPrefix("http://") || text.hasPrefix("https://") else {
                throw .bad(.badTarget, "request target must start with `/` or be an absolute http(s) URI")
            }
            let afterScheme = bytes.startIndex + (text.hasPrefix("http://") ? 7 : 8)
            let rest = bytes[afterScheme...]
            if let slash = rest.firstIndex(where: { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") }) {
                origin = bytes[slash...]
                if origin.first == UInt8(ascii: "?") { origin = ArraySlice([UInt8(ascii: "/")] + origin) }
            } else {
                origin = ArraySlice([UInt8(ascii: "/")])
            }
        }
        let q = origin.firstIndex(of: UInt8(ascii: "?"))
        let rawPath = origin[origin.startIndex..<(q ?? origin.endIndex)]
        let path = try decode(rawPath, plusIsSpace: false, what: "path")
        var segments: [String] = []
        for seg in rawPath.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true) {
            segments.append(try decode(seg, plusIsSpace: false, what: "path segment"))
        }
        var rawQuery: String?
        var items: [QueryItem] = []
        if let q {
            let query = origin[(q + 1)...]
            rawQuery = String(decoding: query, as: UTF8.self)
            for pair in query.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
                let eq = pair.firstIndex(of: UInt8(ascii: "="))
                let name = try decode(pair[pair.startIndex..<(eq ?? pair.endIndex)], plusIsSpace: true, what: "query name")
                var value = ""
                if let eq { value = try decode(pair[(eq + 1)...], plusIsSpace: true, what: "query value") }
                items.append(QueryItem(name: name, value: value))
            }
        }
        return Parsed(path: path, segments: segments, rawQuery: rawQuery, queryItems: items)
    }

    /// Percent-decodes `bytes`; the result must be valid UTF-8 without NUL.
    static func decode<C: Collection>(_ bytes: C, plusIsSpace: Bool, what: String) throws(HTTPParseError) -> String
    where C.Element == UInt8, C.Index == Int {
        if !bytes.contains(UInt8(ascii: "%")) && !(plusIsSpace && bytes.contains(UInt8(ascii: "+"))) {
            return String(decoding: bytes, as: UTF8.self)
        }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = bytes.startIndex
        while i < bytes.endIndex {
            let b = bytes[i]
            if b == UInt8(ascii: "%") {
                guard i + 2 < bytes.endIndex,
                      let hi = hexValue(bytes[i + 1]), let lo = hexValue(bytes[i + 2])
                else { throw .bad(.badTarget, "bad percent-encoding in \(what)") }
                let v = hi << 4 | lo
                guard v != 0 else { throw .bad(.badTarget, "%00 is not allowed in \(what)") }
                out.append(v)
                i += 3
            } else {
                out.append(plusIsSpace && b == UInt8(ascii: "+") ? UInt8(ascii: " ") : b)
                i += 1
            }
        }
        guard let s = String(validating: out, as: UTF8.self) else {
            throw .bad(.badTarget, "\(what) is not valid UTF-8 after percent-decoding")
        }
        return s
    }

    static func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): b - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): b - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): b - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
