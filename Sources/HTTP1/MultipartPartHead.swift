/// A part's header section, with its `Content-Disposition` parameters decoded.
public struct MultipartPartHead: Sendable, Equatable {
    public var headers: HTTPHeaders
    /// The form field name (`name=` of `Content-Disposition: form-data`).
    public var name: String
    /// The original file name, when the part is a file (`filename=`).
    public var filename: String?
    public var contentType: String? { headers["Content-Type"] }

    init(headers: HTTPHeaders) throws(MultipartError) {
        self.headers = headers
        guard let disposition = headers["Content-Disposition"] else {
            throw .bad("a multipart part has no Content-Disposition header")
        }
        let (kind, params) = Self.parseParameters(disposition)
        guard kind.lowercased() == "form-data" else {
            throw .bad("Content-Disposition `\(kind)` is not form-data (RFC 7578 §4.2)")
        }
        guard let name = params["name"] else {
            throw .bad("a multipart part has no `name` in its Content-Disposition")
        }
        self.name = name
        self.filename = params["filename"]
    }

    /// `value; key=token; key="quoted \"string\""` → ("value", [key: value]),
    /// keys lowercased (RFC 9110 §5.6.6 parameters).
    static func parseParameters(_ text: String) -> (String, [String: String]) {
        var chars = Substring(text)
        func skipSpace() { while let c = chars.first, c == " " || c == "\t" { chars.removeFirst() } }
        var value = ""
        while let c = chars.first, c != ";" { value.append(c); chars.removeFirst() }
        var params: [String: String] = [:]
        while chars.first == ";" {
            chars.removeFirst()
            skipSpace()
            var key = ""
            while let c = chars.first, c != "=", c != ";" { key.append(c); chars.removeFirst() }
            key = key.trimmingHTTPWhitespace().lowercased()
            var v = ""
            if chars.first == "=" {
                chars.removeFirst()
                skipSpace()
                if chars.first == "\"" {
                    chars.removeFirst()
                    while let c = chars.first {
                        chars.removeFirst()
                        if c == "\\", let next = chars.first {
                            v.append(next)
                            chars.removeFirst()
                        } else if c == "\"" {
                            break
                        } else {
                            v.append(c)
                        }
                    }
                    while let c = chars.first, c != ";" { chars.removeFirst(); _ = c }
                } else {
                    while let c = chars.first, c != ";" { v.append(c); chars.removeFirst() }
                    v = v.trimmingHTTPWhitespace()
                }
            }
            if !key.isEmpty, params[key] == nil { params[key] = v }
        }
        return (value.trimmingHTTPWhitespace(), params)
    }

    /// The `boundary` parameter of a `multipart/form-data` Content-Type.
    static func boundary(fromContentType contentType: String?) throws(MultipartError) -> String {
        guard let contentType else {
            throw MultipartError(.unsupportedMediaType, "expected Content-Type multipart/form-data, got none")
        }
        let (type, params) = parseParameters(contentType)
        guard type.lowercased() == "multipart/form-data" else {
            throw MultipartError(.unsupportedMediaType, "expected Content-Type multipart/form-data, got `\(type)`")
        }
        // RFC 2046 §5.1.1: 1 to 70 characters.
        guard let boundary = params["boundary"], (1...70).contains(boundary.utf8.count) else {
            throw .bad("multipart/form-data without a valid boundary parameter (1–70 characters)")
        }
        return boundary
    }
}
