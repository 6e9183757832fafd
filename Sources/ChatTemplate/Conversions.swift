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
                let scale = Double(pow(10.0, Double(-p)))
                return .int(Int(Foundation.round(Double(i) / scale) * scale))
            case .float(let d):
                guard d.isFinite else { return .float(d) }
                if p > 300 { return .float(d) }
                if p >= 0 { return .float(Double(String(format: "%.\(p)f", d)) ?? d) }
                let scale = pow(10.0, Double(-p))
                return .float((d / scale).rounded(.toNearestOrEven) * scale)
            }
        }
        let scale = pow(10.0, Double(p))
        let scaled = number.double * scale
        let rounded = m == "ceil" ? scaled.rounded(.up) : scaled.rounded(.down)
        return .float(rounded / scale)
    }
}
