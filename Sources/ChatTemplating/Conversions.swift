import Foundation

/// The `int`, `float` and `round` filters (`jinja2.filters.do_int`, `do_float`, `do_round`).
enum Conversions {
    /// `int(value)`: strings in `base` (0 accepts 0b/0o/0x prefixes; `_`
    /// separators allowed), then as a float ("42.23" → 42), else `default`.
    static func toInt(_ value: Value, default fallback: Value, base: Value) throws -> Value {
        switch value {
        case .undefined(let u): throw u.error
        case .bool(let b): return .int(b ? 1 : 0)
        case .int: return value
        case .float(let d):
            guard d.isFinite, abs(d) < 9.2e18 else { return fallback }
            return .int(Int(d))
        case .string(let s):
            guard case .int(let b) = base.numericValue else { return fallback }
            if let i = parseInt(s, base: b) { return .int(i) }
            if let d = parseFloat(s), d.isFinite, abs(d) < 9.2e18 { return .int(Int(d)) }
            return fallback
        default:
            return fallback
        }
    }

    /// `round(i, -digits)` for an int, exactly as Python's `int.__round__`:
    /// to the nearest multiple of 10^digits, halves to the even multiple.
    /// A result past Int64 (`9223372036854775807|round(-1)`) is an error,
    /// as every integer past 64 bits is here.
    static func roundInteger(_ i: Int, digits: UInt) throws -> Int {
        // 10^19 > Int.max: nothing but 0 or ±10^19 is a multiple in range.
        guard digits < 19 else {
            if digits == 19, i.magnitude > 5_000_000_000_000_000_000 {
                throw TemplateError(.value, "integer result does not fit in 64 bits")
            }
            return 0
        }
        var scale = 1
        for _ in 0..<digits { scale *= 10 }
        let quotient = i / scale, remainder = (i % scale).magnitude   // truncated toward zero
        let twice = remainder * 2, whole = UInt(scale)
        let away = twice > whole || (twice == whole && quotient % 2 != 0)
        let rounded = away ? quotient + (i < 0 ? -1 : 1) : quotient
        let (result, overflow) = rounded.multipliedReportingOverflow(by: scale)
        guard !overflow else { throw TemplateError(.value, "integer result does not fit in 64 bits") }
        return result
    }

    /// Python's `int(text, base)`.
    static func parseInt(_ text: String, base: Int) -> Int? {
        var s = Substring(PyString.strip(text, chars: nil, leading: true, trailing: true))
        var negative = false
        if let f = s.first, f == "+" || f == "-" { negative = f == "-"; s = s.dropFirst() }
        var radix = base
        let lower = s.lowercased()
        for (prefix, r) in [("0x", 16), ("0o", 8), ("0b", 2)] where lower.hasPrefix(prefix) && (base == 0 || base == r) {
            radix = r
            s = s.dropFirst(2)
            if s.first == "_" { s = s.dropFirst() }
            break
        }
        if radix == 0 {
            radix = 10
            // Base 0 refuses leading zeros on non-zero decimals, as Python does.
            if s.count > 1, s.first == "0", s.contains(where: { $0 != "0" && $0 != "_" }) { return nil }
        }
        guard (2...36).contains(radix), !s.isEmpty, !s.hasPrefix("_"), !s.hasSuffix("_"), !s.contains("__") else { return nil }
        guard let magnitude = Int(s.filter { $0 != "_" }, radix: radix) else { return nil }
        return negative ? -magnitude : magnitude
    }

    /// Python's `float(text)`: decimal or exponent notation, `inf`, `nan`, `_` between digits.
    static func parseFloat(_ text: String) -> Double? {
        let s = PyString.strip(text, chars: nil, leading: true, trailing: true)
        let lower = s.lowercased()
        let unsigned = lower.hasPrefix("+") || lower.hasPrefix("-") ? String(lower.dropFirst()) : lower
        if ["inf", "infinity", "nan"].contains(unsigned) {
            let v = unsigned == "nan" ? Double.nan : Double.infinity
            return lower.hasPrefix("-") ? -v : v
        }
        guard !s.contains("__"), !s.hasPrefix("_"), !s.hasSuffix("_") else { return nil }
        let cleaned = s.filter { $0 != "_" }
        guard !cleaned.isEmpty, cleaned.allSatisfy({ "0123456789.eE+-".contains($0) }),
              cleaned.contains(where: { $0.isNumber }) else { return nil }
        return Double(cleaned)
    }

    static func toFloat(_ value: Value) throws -> Value? {
        switch value {
        case .undefined(let u): throw u.error
        case .bool(let b): return .float(b ? 1 : 0)
        case .int(let i): return .float(Double(i))
        case .float: return value
        case .string(let s): return parseFloat(s).map { .float($0) }
        default: return nil
        }
    }

    /// `round(value, precision)` (Python rounds the exact binary value half
    /// to even, as C's printf does) or `ceil`/`floor` at the precision. An
    /// int stays an int with "common" rounding to precision ≥ 0.
    static func round(_ value: Value, precision: Value, method: Value) throws -> Value {
        guard case .string(let m) = method, ["common", "ceil", "floor"].contains(m) else {
            throw TemplateError(.value, "method must be common, ceil or floor")
        }
        guard case .int(let p) = precision.numericValue else {
            throw TemplateError(.type, "'\(precision.typeName)' object cannot be interpreted as an integer")
        }
        guard let number = value.numericValue else {
            if case .undefined(let u) = value { throw u.error }
            throw TemplateError(.type, "type \(value.typeName) doesn't define __round__ method")
        }
        if m == "common" {
            switch number {
            case .int(let i):
                guard p < 0 else { return .int(i) }
                return .int(try roundInteger(i, digits: p.magnitude))
            case .float(let d):
                guard d.isFinite else { return .float(d) }
                if p > 300 { return .float(d) }
                if p >= 0 { return .float(Double(String(format: "%.\(p)f", d)) ?? d) }
                let scale = pow(10.0, Double(p.magnitude))
                // Past 10^308 every finite float rounds to a signed zero, as in Python.
                guard scale.isFinite else { return .float(d.sign == .minus ? -0.0 : 0.0) }
                return .float((d / scale).rounded(.toNearestOrEven) * scale)
            }
        }
        let scale = pow(10.0, Double(p))
        let scaled = number.double * scale
        // jinja2: math.ceil / math.floor, which return a Python int — so no
        // negative zero (-0.3 ceils to 0.0), and inf or NaN cannot be one.
        guard scaled.isFinite else {
            throw TemplateError(.value, scaled.isNaN ? "cannot convert float NaN to integer"
                                                                           : "cannot convert float infinity to integer")
        }
        let rounded = (m == "ceil" ? scaled.rounded(.up) : scaled.rounded(.down)) + 0.0
        return .float(rounded / scale)
    }
}
