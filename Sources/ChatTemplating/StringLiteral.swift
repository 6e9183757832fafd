/// Decoding of a string literal's body as jinja2 does it: newlines
/// normalised, then Python's `unicode-escape` codec applied to the text with
/// non-ASCII characters backslash-escaped first (`str.encode("ascii",
/// "backslashreplace").decode("unicode-escape")`). So `\n`, `\t`, `\x41`,
/// `\u00e9`, `\U0001F600`, octal `\101` and `\\`, `\'`, `\"` decode;
/// unknown escapes such as `\d` stay as written.
enum StringLiteral {
    struct Failure: Error { let message: String }

    static func decode(_ body: ArraySlice<UInt8>) throws(Failure) -> String {
        let scalars = Array(String(decoding: body, as: UTF8.self).unicodeScalars)
        var out = String.UnicodeScalarView()
        var i = 0
        while i < scalars.count {
            let c = scalars[i]
            guard c == "\\" else { out.append(c); i += 1; continue }
            guard i + 1 < scalars.count else { throw Failure(message: "\\ at end of string") }
            let e = scalars[i + 1]
            i += 2
            switch e {
            case "\n": break   // line continuation
            case "\\", "'", "\"": out.append(e)
            case "a": out.append("\u{07}")
            case "b": out.append("\u{08}")
            case "f": out.append("\u{0C}")
            case "n": out.append("\n")
            case "r": out.append("\r")
            case "t": out.append("\t")
            case "v": out.append("\u{0B}")
            case "0"..."7":
                var value = e.value - 48, digits = 1
                while digits < 3, i < scalars.count, ("0"..."7").contains(scalars[i]) {
                    value = value * 8 + scalars[i].value - 48
                    i += 1; digits += 1
                }
                out.append(Unicode.Scalar(value) ?? "\u{FFFD}")
            case "x", "u", "U":
                let width = e == "x" ? 2 : (e == "u" ? 4 : 8)
                guard i + width <= scalars.count,
                      let value = UInt32(String(String.UnicodeScalarView(scalars[i..<(i + width)])), radix: 16),
                      scalars[i..<(i + width)].allSatisfy({ $0.properties.isASCIIHexDigit }) else {
                    throw Failure(message: "truncated \\\(e)\(String(repeating: "X", count: width)) escape")
                }
                guard let scalar = Unicode.Scalar(value) else {
                    throw Failure(message: e == "U" ? "illegal Unicode character" : "surrogate code point in escape")
                }
                out.append(scalar)
                i += width
            case "N":
                throw Failure(message: "named Unicode escapes (\\N{…}) are not supported")
            default:
                out.append("\\")
                if e.isASCII {
                    out.append(e)
                } else {
                    // backslashreplace turned the character into its own escape
                    // text, whose backslash this one escaped: `\é` → `\xe9`.
                    let hex = String(e.value, radix: 16)
                    let (letter, width) = e.value <= 0xFF ? ("x", 2) : (e.value <= 0xFFFF ? ("u", 4) : ("U", 8))
                    out.append(contentsOf: (letter + String(repeating: "0", count: width - hex.count) + hex).unicodeScalars)
                }
            }
        }
        return String(out)
    }
}
