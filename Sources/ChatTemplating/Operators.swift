import Foundation

/// Python's arithmetic and comparison operators on template values.
enum Operators {
    static func negate(_ v: Value) throws -> Value {
        switch v {
        case .undefined(let u): throw u.error
        case .bool(let b): return .int(b ? -1 : 0)
        case .int(let i):
            guard i != Int.min else { throw overflow() }
            return .int(-i)
        case .float(let d): return .float(-d)
        default: throw TemplateError(.type, "bad operand type for unary -: '\(v.typeName)'")
        }
    }

    static func plus(_ v: Value) throws -> Value {
        switch v {
        case .undefined(let u): throw u.error
        case .bool(let b): return .int(b ? 1 : 0)
        case .int, .float: return v
        default: throw TemplateError(.type, "bad operand type for unary +: '\(v.typeName)'")
        }
    }

    static func overflow() -> TemplateError {
        TemplateError(.value, "integer result does not fit in 64 bits (Python would use a big integer)")
    }

    static func binary(_ op: BinaryOperator, _ a: Value, _ b: Value, _ r: Renderer) throws -> Value {
        if case .undefined(let u) = a { throw u.error }
        // `'%s' % undefined`: Python's str.__mod__ runs first and formats
        // jinja2's Undefined as '' (%s) or Undefined (%r); other operators
        // reach Undefined's own methods, which raise.
        if op == .modulo, case .string(let format) = a, case .undefined = b {
            return try r.made(try PercentFormat.format(format, b, r))
        }
        if case .undefined(let u) = b { throw u.error }
        if let x = a.numericValue, let y = b.numericValue { return try arithmetic(op, x, y) }
        switch (op, a, b) {
        case let (.add, .string(x), .string(y)):
            try r.reserveString(bytes: x.utf8.count + y.utf8.count)
            return .string(x + y)
        case let (.add, .list(x), .list(y)):
            return try r.made(list: x + y)
        case let (.add, .tuple(x), .tuple(y)):
            try r.reserve(bytes: (x.count + y.count) * 16)
            return .tuple(x + y)
        case (.multiply, .string, _), (.multiply, .list, _), (.multiply, .tuple, _):
            return try repeatSequence(a, b, r)
        case (.multiply, _, .string), (.multiply, _, .list), (.multiply, _, .tuple):
            return try repeatSequence(b, a, r)
        case (.modulo, .string(let format), _):
            return try r.made(try PercentFormat.format(format, b, r))
        case (.add, .string, _):
            throw TemplateError(.type, "can only concatenate str (not \"\(b.typeName)\") to str")
        case (.add, .list, _):
            throw TemplateError(.type, "can only concatenate list (not \"\(b.typeName)\") to list")
        default:
            throw TemplateError(.type, "unsupported operand type(s) for \(op.rawValue): '\(a.typeName)' and '\(b.typeName)'")
        }
    }

    /// `seq * n`: n copies (none when n ≤ 0); the size is checked before building.
    private static func repeatSequence(_ sequence: Value, _ count: Value, _ r: Renderer) throws -> Value {
        guard case .int(let n) = count.numericValue else {
            throw TemplateError(.type, "can't multiply sequence by non-int of type '\(count.typeName)'")
        }
        let times = max(0, n)
        switch sequence {
        case .string(let s):
            let (bytes, overflow) = s.utf8.count.multipliedReportingOverflow(by: times)
            try r.reserveString(bytes: overflow ? Int.max : bytes)
            return .string(PyString.repeated(s, times))
        case .list(let items), .tuple(let items):
            let (slots, overflow) = items.count.multipliedReportingOverflow(by: times)
            try r.reserve(bytes: overflow ? Int.max : slots.saturatingMultiply(16))
            var out: [Value] = []
            out.reserveCapacity(slots)
            for _ in 0..<times { out += items }
            if case .tuple = sequence { return .tuple(out) }
            return .list(out)
        default:
            throw TemplateError(.type, "can't multiply sequence by non-int of type '\(count.typeName)'")
        }
    }

    private static func arithmetic(_ op: BinaryOperator, _ x: Numeric, _ y: Numeric) throws -> Value {
        if case .int(let i) = x, case .int(let j) = y { return try integer(op, i, j) }
        let a = x.double, b = y.double
        switch op {
        case .add: return .float(a + b)
        case .subtract: return .float(a - b)
        case .multiply: return .float(a * b)
        case .divide:
            guard b != 0 else { throw TemplateError(.value, "float division by zero") }
            return .float(a / b)
        case .floorDivide:
            guard b != 0 else { throw TemplateError(.value, "float floor division by zero") }
            return .float(floorDivide(a, b))
        case .modulo:
            guard b != 0 else { throw TemplateError(.value, "float modulo") }
            return .float(pyMod(a, b))
        case .power:
            if a == 0 && b < 0 { throw TemplateError(.value, "0.0 cannot be raised to a negative power") }
            if a < 0 && b != b.rounded() { throw TemplateError(.value, "math domain error (negative number to a fractional power)") }
            return .float(Foundation.pow(a, b))
        }
    }

    private static func integer(_ op: BinaryOperator, _ i: Int, _ j: Int) throws -> Value {
        func checked(_ r: (partialValue: Int, overflow: Bool)) throws -> Value {
            if r.overflow { throw overflow() }
            return .int(r.partialValue)
        }
        switch op {
        case .add: return try checked(i.addingReportingOverflow(j))
        case .subtract: return try checked(i.subtractingReportingOverflow(j))
        case .multiply: return try checked(i.multipliedReportingOverflow(by: j))
        case .divide:
            guard j != 0 else { throw TemplateError(.value, "division by zero") }
            return .float(Double(i) / Double(j))
        case .floorDivide, .modulo:
            guard j != 0 else { throw TemplateError(.value, "integer division or modulo by zero") }
            if i == Int.min && j == -1 { if op == .modulo { return .int(0) }; throw overflow() }
            var q = i / j, m = i % j
            if m != 0 && ((m < 0) != (j < 0)) { q -= 1; m += j }
            return .int(op == .floorDivide ? q : m)
        case .power:
            if j < 0 {
                guard i != 0 else { throw TemplateError(.value, "0.0 cannot be raised to a negative power") }
                return .float(Foundation.pow(Double(i), Double(j)))
            }
            var result = 1, base = i, e = j
            while e > 0 {
                if e & 1 == 1 {
                    let (v, o) = result.multipliedReportingOverflow(by: base)
                    if o { throw overflow() }
                    result = v
                }
                e >>= 1
                if e > 0 {
                    let (v, o) = base.multipliedReportingOverflow(by: base)
                    if o { throw overflow() }
                    base = v
                }
            }
            return .int(result)
        }
    }

    /// Python's float `//`: floor of the quotient, computed as `divmod` does.
    static func floorDivide(_ a: Double, _ b: Double) -> Double {
        let m = fmod(a, b)
        var div = (a - m) / b
        if m != 0 && ((b < 0) != (m < 0)) { div -= 1 }
        if div == 0 { return Double(signOf: a / b, magnitudeOf: 0) }
        let floored = div.rounded(.down)
        return div - floored > 0.5 ? floored + 1 : floored
    }

    /// Python's float `%`: the result has the sign of the divisor.
    static func pyMod(_ a: Double, _ b: Double) -> Double {
        var m = fmod(a, b)
        if m != 0 {
            if (b < 0) != (m < 0) { m += b }
        } else {
            m = Double(signOf: b, magnitudeOf: 0)
        }
        return m
    }

    static func compare(_ op: CompareOperator, _ a: Value, _ b: Value, _ r: Renderer) throws -> Bool {
        switch op {
        case .equal: return try Value.pyEqual(a, b)
        case .notEqual: return !(try Value.pyEqual(a, b))
        case .in:
            if case .list(let items) = b { try r.charge(items.count) }
            return try Value.pyContains(b, a)
        case .notIn:
            if case .list(let items) = b { try r.charge(items.count) }
            return !(try Value.pyContains(b, a))
        case .less, .lessOrEqual, .greater, .greaterOrEqual:
            guard let order = try Value.pyCompare(a, b, op: op.rawValue) else { return false }
            switch op {
            case .less: return order < 0
            case .lessOrEqual: return order <= 0
            case .greater: return order > 0
            default: return order >= 0
            }
        }
    }
}
