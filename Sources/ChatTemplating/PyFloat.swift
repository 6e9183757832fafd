/// Python's `repr(float)` (also `str(float)`): the shortest digits that
/// round-trip, in fixed notation when the decimal exponent is in −4…15 and
/// scientific (`1e-05`, `1e+16`, at least two exponent digits) otherwise,
/// with ".0" on whole numbers (`float_repr_style = 'short'`, CPython's
/// `PyOS_double_to_string(x, 'r', 0, Py_DTSF_ADD_DOT_0)`).
enum PyFloat {
    static func repr(_ d: Double) -> String {
        if d.isNaN { return "nan" }
        if d.isInfinite { return d < 0 ? "-inf" : "inf" }
        let (negative, digits, point) = shortestDigits(d)
        let sign = negative ? "-" : ""
        if digits.isEmpty { return sign + "0.0" }
        // Value = 0.<digits> × 10^point.
        if point > -4 && point <= 16 {
            if point <= 0 { return sign + "0." + String(repeating: "0", count: -point) + digits }
            if point >= digits.count { return sign + digits + String(repeating: "0", count: point - digits.count) + ".0" }
            let cut = digits.index(digits.startIndex, offsetBy: point)
            return sign + digits[..<cut] + "." + digits[cut...]
        }
        let exponent = point - 1
        var mantissa = String(digits.prefix(1))
        if digits.count > 1 { mantissa += "." + digits.dropFirst() }
        let e = abs(exponent)
        return sign + mantissa + "e" + (exponent < 0 ? "-" : "+") + (e < 10 ? "0" : "") + String(e)
    }

    /// The shortest round-tripping significant digits (no leading or trailing
    /// zeros) and the decimal point position, taken from Swift's own
    /// shortest-representation printer (which only differs from Python in
    /// where it switches to exponent notation).
    private static func shortestDigits(_ d: Double) -> (negative: Bool, digits: String, point: Int) {
        var text = Substring(d.description)
        let negative = text.hasPrefix("-")
        if negative { text = text.dropFirst() }
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            exponent = Int(text[text.index(after: e)...]) ?? 0
            text = text[..<e]
        }
        var integerPart = text, fraction: Substring = ""
        if let dot = text.firstIndex(of: ".") {
            integerPart = text[..<dot]
            fraction = text[text.index(after: dot)...]
        }
        var all = String(integerPart) + fraction
        var point = integerPart.count + exponent
        while all.hasPrefix("0") { all.removeFirst(); point -= 1 }
        while all.hasSuffix("0") { all.removeLast() }
        return (negative, all, point)
    }
}
