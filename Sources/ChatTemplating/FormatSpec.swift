import Foundation

/// Python's format-spec mini-language (`format(value, spec)`, used by
/// `str.format`): `[[fill]align][sign][#][0][width][,|_][.precision][type]`.
struct FormatSpec {
    var fill: String = " "
    var align: Character? = nil
    var sign: Character = "-"
    var alternate = false
    var zeroPad = false
    var width = 0
    var grouping: Character? = nil
    var precision: Int? = nil
    var type: Character? = nil
    /// An empty spec: `format(x, '')` is `str(x)` for every type.
    let isEmpty: Bool

    /// - Parameter maxWidth: the widest field allowed (the renderer's string bound).
    init(_ spec: String, maxWidth: Int = Int.max) throws {
        let chars = Array(spec)
        isEmpty = chars.isEmpty
        var i = 0
        if chars.count >= 2, "<>=^".contains(chars[1]) {
            fill = String(chars[0]); align = chars[1]; i = 2
        } else if let c = chars.first, "<>=^".contains(c) {
            align = c; i = 1
        }
        if i < chars.count, "+- ".contains(chars[i]) { sign = chars[i]; i += 1 }
        if i < chars.count, chars[i] == "#" { alternate = true; i += 1 }
        if i < chars.count, chars[i] == "0" { zeroPad = true; i += 1 }
        var digits = ""
        while i < chars.count, chars[i].isASCII, chars[i].isNumber { digits.append(chars[i]); i += 1 }
        width = digits.isEmpty ? 0 : (Int(digits) ?? Int.max)
        if i < chars.count, chars[i] == "," || chars[i] == "_" { grouping = chars[i]; i += 1 }
        if i < chars.count, chars[i] == "." {
            i += 1
            var p = ""
            while i < chars.count, chars[i].isASCII, chars[i].isNumber { p.append(chars[i]); i += 1 }
            guard let value = Int(p) else { throw TemplateError(.value, "Format specifier missing precision") }
            precision = value
        }
        if i < chars.count { type = chars[i]; i += 1 }
        guard i == chars.count else { throw TemplateError(.value, "Invalid format specifier '\(spec)'") }
        guard width <= maxWidth else {
            throw TemplateError(.limit(.outputBytes), "a field of width \(width) exceeds the limit of \(maxWidth) bytes")
        }
    }

    /// `format(value, spec)`.
    func apply(_ value: Value) throws -> String {
        switch value {
        case .string(let s):
            guard type == nil || type == "s" else { throw unknown(value) }
            // CPython's str.__format__ refuses the numeric-only parts of a spec.
            if sign != "-" { throw TemplateError(.value, "Sign not allowed in string format specifier") }
            if alternate { throw TemplateError(.value, "Alternate form (#) not allowed in string format specifier") }
            if let grouping { throw TemplateError(.value, "Cannot specify '\(grouping)' with 's'.") }
            if align == "=" { throw TemplateError(.value, "'=' alignment not allowed in string format specifier") }
            var text = s
            if let precision { text = String(String.UnicodeScalarView(s.unicodeScalars.prefix(precision))) }
            // A leading 0 before the width fills with zeros, left-aligned for strings.
            var spec = self
            if zeroPad, align == nil { spec.fill = "0" }
            return spec.pad(text, defaultAlign: "<")
        case .bool where isEmpty:
            return try value.str()   // str(True); any other spec formats the bool as the int it is
        case .bool, .int:
            guard case .int(let i) = value.numericValue else { throw unknown(value) }
            if let t = type, "eEfFgG%".contains(t) { return try formatFloat(Double(i), value) }
            if precision != nil { throw TemplateError(.value, "Precision not allowed in integer format specifier") }
            return try formatInt(i, value)
        case .float(let d):
            return try formatFloat(d, value)
        default:
            // object.__format__ takes only the empty spec.
            guard isEmpty else {
                throw TemplateError(.type, "unsupported format string passed to \(value.typeName).__format__")
            }
            return try value.str()
        }
    }

    private func unknown(_ value: Value) -> TemplateError {
        TemplateError(.value, "Unknown format code '\(type.map(String.init) ?? "")' for object of type '\(value.typeName)'")
    }

    private func formatInt(_ i: Int, _ value: Value) throws -> String {
        var digits: String
        var prefix = ""
        switch type {
        case nil, "d", "n": digits = String(i.magnitude)
        case "b": digits = String(i.magnitude, radix: 2); prefix = alternate ? "0b" : ""
        case "o": digits = String(i.magnitude, radix: 8); prefix = alternate ? "0o" : ""
        case "x": digits = String(i.magnitude, radix: 16); prefix = alternate ? "0x" : ""
        case "X": digits = String(i.magnitude, radix: 16).uppercased(); prefix = alternate ? "0X" : ""
        case "c":
            guard let scalar = Unicode.Scalar(UInt32(clamping: i)) else { throw TemplateError(.value, "%c arg not in range(0x110000)") }
            return pad(String(scalar), defaultAlign: "<")
        default: throw unknown(value)
        }
        if let grouping { digits = FormatSpec.group(digits, grouping, every: type == nil || type == "d" || type == "n" ? 3 : 4) }
        return padNumber(sign: signText(negative: i < 0), prefix: prefix, body: digits)
    }

    private func formatFloat(_ d: Double, _ value: Value) throws -> String {
        let negative = d.sign == .minus && !d.isNaN
        let magnitude = abs(d)
        var body: String
        switch type {
        case nil:
            if let precision {
                body = FormatSpec.general(magnitude, max(precision, 1), alternate: alternate, keepPoint: true)
            } else {
                body = PyFloat.repr(magnitude)
            }
        case "f", "F": body = FormatSpec.printf(magnitude, "f", precision ?? 6, alternate)
        case "e", "E": body = FormatSpec.printf(magnitude, "e", precision ?? 6, alternate)
        case "g", "G", "n": body = FormatSpec.general(magnitude, precision ?? 6, alternate: alternate, keepPoint: false)
        case "%": body = FormatSpec.printf(magnitude * 100, "f", precision ?? 6, alternate) + "%"
        default: throw unknown(value)
        }
        if type == "E" || type == "G" || type == "F" { body = body.uppercased() }
        if let grouping, magnitude.isFinite {
            let parts = body.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
            let whole = String(parts[0])
            if whole.allSatisfy({ $0.isNumber }) {
                body = FormatSpec.group(whole, grouping, every: 3) + (parts.count > 1 ? "." + parts[1] : "")
            }
        }
        return padNumber(sign: signText(negative: negative), prefix: "", body: body)
    }

    private func signText(negative: Bool) -> String {
        negative ? "-" : (sign == "+" ? "+" : (sign == " " ? " " : ""))
    }

    private func padNumber(sign: String, prefix: String, body: String) -> String {
        let content = sign.count + prefix.count + body.unicodeScalars.count
        if (zeroPad && align == nil) || align == "=" {
            let fillText = zeroPad && align == nil ? "0" : fill
            return sign + prefix + String(repeating: fillText, count: max(0, width - content)) + body
        }
        return pad(sign + prefix + body, defaultAlign: ">")
    }

    private func pad(_ s: String, defaultAlign: Character) -> String {
        let n = s.unicodeScalars.count
        guard width > n else { return s }
        let margin = width - n
        switch align ?? defaultAlign {
        case "<": return s + String(repeating: fill, count: margin)
        case "^": return String(repeating: fill, count: margin / 2) + s + String(repeating: fill, count: margin - margin / 2)
        default: return String(repeating: fill, count: margin) + s
        }
    }

    static func group(_ digits: String, _ separator: Character, every n: Int) -> String {
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % n == 0 { out.append(separator) }
            out.append(c)
        }
        return out
    }

    /// C's `printf` for one float conversion (glibc rounds correctly, as Python does).
    static func printf(_ d: Double, _ conversion: Character, _ precision: Int, _ alternate: Bool) -> String {
        if d.isNaN { return "nan" }
        if d.isInfinite { return d < 0 ? "-inf" : "inf" }
        return String(format: "%\(alternate ? "#" : "").\(min(precision, 500))\(conversion)", d)
    }

    /// `g`-style: `precision` significant digits, scientific when the
    /// exponent is < -4 or ≥ precision, trailing zeros removed (unless `#`).
    /// With `keepPoint` (no type given), fixed results keep at least one decimal.
    static func general(_ d: Double, _ precision: Int, alternate: Bool, keepPoint: Bool) -> String {
        if d.isNaN { return "nan" }
        if d.isInfinite { return "inf" }
        let p = max(precision, 1)
        var s = String(format: "%\(alternate ? "#" : "").\(min(p, 500))g", d)
        if keepPoint && !s.contains("e") && !s.contains(".") { s += ".0" }
        return s
    }
}
