/// A Python number for mixed int/float comparison: ints compare exactly with
/// each other and with floats that are whole numbers within range.
enum Numeric: Hashable, Sendable {
    case int(Int)
    case float(Double)

    static func == (a: Numeric, b: Numeric) -> Bool {
        switch (a, b) {
        case let (.int(x), .int(y)): return x == y
        case let (.float(x), .float(y)): return x == y
        case let (.int(i), .float(d)), let (.float(d), .int(i)): return !d.isNaN && Numeric.compare(i, d) == 0
        }
    }

    func hash(into h: inout Hasher) {
        switch self {
        case .int(let i): h.combine(i)
        case .float(let d):
            if let i = Int(exactly: d) { h.combine(i) } else { h.combine(d) }
        }
    }

    /// Orders two numbers; nil when either is NaN (Python compares NaN as unordered).
    static func order(_ a: Numeric, _ b: Numeric) -> Int? {
        switch (a, b) {
        case let (.int(x), .int(y)): return x < y ? -1 : (x == y ? 0 : 1)
        case let (.float(x), .float(y)):
            if x.isNaN || y.isNaN { return nil }
            return x < y ? -1 : (x == y ? 0 : 1)
        case let (.int(i), .float(d)):
            return d.isNaN ? nil : compare(i, d)
        case let (.float(d), .int(i)):
            return d.isNaN ? nil : -compare(i, d)
        }
    }

    /// Exact comparison of an int with a (non-NaN) double, as Python does it.
    private static func compare(_ i: Int, _ d: Double) -> Int {
        if d.isInfinite { return d > 0 ? -1 : 1 }
        // 2^63 is exactly representable; anything at or beyond it exceeds every Int.
        if d >= 9_223_372_036_854_775_808.0 { return -1 }
        if d < -9_223_372_036_854_775_808.0 { return 1 }
        let whole = d.rounded(.down)
        let wi = Int(whole)
        if i != wi { return i < wi ? -1 : 1 }
        return whole == d ? 0 : -1
    }

    var double: Double {
        switch self {
        case .int(let i): return Double(i)
        case .float(let d): return d
        }
    }
}

extension Value {
    /// The number, if this is a bool, int or float (bool is an int subclass in Python).
    var numericValue: Numeric? {
        switch self {
        case .bool(let b): return .int(b ? 1 : 0)
        case .int(let i): return .int(i)
        case .float(let d): return .float(d)
        default: return nil
        }
    }
}
