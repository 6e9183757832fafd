/// printf-style `format % values` (and the `format` filter): `%s %r %d %i
/// %f %e %g %x %o %c %%`, flags `-+ #0`, width and precision (also `*`),
/// and `%(key)s` with a dict.
enum PercentFormat {
    static func format(_ template: String, _ values: Value, _ r: Renderer) throws -> String {
        let chars = Array(template)
        var positional: [Value]
        var mapping: PyDict? = nil
        switch values {
        case .tuple(let items): positional = items
        case .dict(let d): positional = [values]; mapping = d
        default: positional = [values]
        }
        var next = 0
        func take() throws -> Value {
            guard next < positional.count else { throw TemplateError(.type, "not enough arguments for format string") }
            defer { next += 1 }
            return positional[next]
        }
        var out = ""
        var i = 0
        var usedMapping = false
        while i < chars.count {
            guard chars[i] == "%" else { out.append(chars[i]); i += 1; continue }
            i += 1
            guard i < chars.count else { throw TemplateError(.value, "incomplete format") }
            var key: String? = nil
            if chars[i] == "(" {
                guard let close = chars[i...].firstIndex(of: ")") else { throw TemplateError(.value, "incomplete format key") }
                key = String(chars[(i + 1)..<close])
                i = close + 1
            }
            var flags = Set<Character>()
            while i < chars.count, "-+ #0".contains(chars[i]) { flags.insert(chars[i]); i += 1 }
            func number() throws -> Int? {
                if i < chars.count, chars[i] == "*" {
                    i += 1
                    guard case .int(let n) = try take().numericValue else { throw TemplateError(.type, "* wants int") }
                    return n
                }
                var digits = ""
                while i < chars.count, chars[i].isASCII, chars[i].isNumber { digits.append(chars[i]); i += 1 }
                return digits.isEmpty ? nil : (Int(digits) ?? Int.max)
            }
            var width = try number() ?? 0
            if width < 0 {
                // Python negates into a big int and then cannot allocate it.
                guard width != Int.min else { throw TemplateError(.value, "width too big") }
                flags.insert("-")
                width = -width
            }
            var precision: Int? = nil
            if i < chars.count, chars[i] == "." { i += 1; precision = try number() ?? 0 }
            while i < chars.count, "hlL".contains(chars[i]) { i += 1 }
            guard i < chars.count else { throw TemplateError(.value, "incomplete format") }
            let conversion = chars[i]
            i += 1
            if conversion == "%" { out.append("%"); continue }
            let value: Value
            if let key {
                guard let mapping else { throw TemplateError(.type, "format requires a mapping") }
                guard let v = mapping[.string(key)] else { throw TemplateError(.value, "KeyError: '\(key)'") }
                value = v
                usedMapping = true
            } else {
                value = try take()
            }
            guard width <= r.limits.maxOutputBytes else {
                throw TemplateError(.limit(.outputBytes), "a field of width \(width) exceeds the limit of \(r.limits.maxOutputBytes) bytes")
            }
            // Only %s, %r and %a can show jinja2's Undefined; the numeric
            // conversions ask it for a number, which raises its error.
            if case .undefined(let u) = value, !"sra".contains(conversion) { throw u.error }
            out += try convert(value, conversion, flags: flags, width: width, precision: precision)
            try r.reserveString(bytes: out.utf8.count)
        }
        if !usedMapping, mapping == nil, next < positional.count {
            throw TemplateError(.type, "not all arguments converted during string formatting")
        }
        return out
    }

    private static func convert(_ value: Value, _ conversion: Character, flags: Set<Character>, width: Int, precision: Int?) throws -> String {
        var spec = ""
        if flags.contains("-") { spec += "<" } else if flags.contains("0") && conversion != "s" && conversion != "r" { spec += "=" }
        if flags.contains("+") { spec += "+" } else if flags.contains(" ") { spec += " " }
        if flags.contains("#") { spec += "#" }
        let fill = flags.contains("0") && !flags.contains("-") && conversion != "s" && conversion != "r" ? "0" : " "
        let align = spec.first == "<" || spec.first == "=" ? String(spec.removeFirst()) : (conversion == "s" || conversion == "r" || conversion == "a" ? ">" : ">")
        let widthText = width > 0 ? String(width) : ""
        switch conversion {
        case "s", "r", "a":
            let text = conversion == "s" ? try value.str() : try value.repr()
            return try FormatSpec(fill + align + widthText + (precision.map { ".\($0)" } ?? "") + "s").apply(.string(text))
        case "d", "i", "u":
            guard let n = value.numericValue else {
                throw TemplateError(.type, "%\(conversion) format: a real number is required, not \(value.typeName)")
            }
            let integer: Int
            switch n {
            case .int(let v): integer = v
            case .float(let d):
                guard d.isFinite, abs(d) < 9.2e18 else { throw TemplateError(.value, "cannot convert float \(PyFloat.repr(d)) to integer") }
                integer = Int(d)
            }
            return try FormatSpec(fill + align + spec + widthText + "d").apply(.int(integer))
        case "x", "X", "o":
            guard case .int(let v) = value.numericValue else {
                throw TemplateError(.type, "%\(conversion) format: an integer is required, not \(value.typeName)")
            }
            return try FormatSpec(fill + align + spec + widthText + String(conversion)).apply(.int(v))
        case "e", "E", "f", "F", "g", "G":
            guard let n = value.numericValue else {
                throw TemplateError(.type, "must be real number, not \(value.typeName)")
            }
            return try FormatSpec(fill + align + spec + widthText + ".\(precision ?? 6)" + String(conversion)).apply(.float(n.double))
        case "c":
            if case .string(let s) = value, s.unicodeScalars.count == 1 { return try FormatSpec(fill + ">" + widthText).apply(value) }
            guard case .int(let v) = value.numericValue else { throw TemplateError(.type, "%c requires int or char") }
            return try FormatSpec(fill + align + widthText + "c").apply(.int(v))
        default:
            throw TemplateError(.value, "unsupported format character '\(conversion)'")
        }
    }
}
