/// An expression of the template language (jinja2's `nodes.Expr`), parsed
/// once and evaluated on every render. Locations are kept where evaluation
/// can fail, for error messages.
indirect enum Expr: Sendable {
    case constant(Value)
    case name(String, SourceLocation)
    case list([Expr])
    case tuple([Expr])
    case dict([(key: Expr, value: Expr)])
    /// `a.b`: attribute first, then item (jinja2's `getattr`).
    case getattr(Expr, String, SourceLocation)
    /// `a[b]`: item first, then attribute (jinja2's `getitem`).
    case getitem(Expr, Expr, SourceLocation)
    /// `start:stop:step` inside `[]`.
    case slice(start: Expr?, stop: Expr?, step: Expr?)
    case negate(Expr, SourceLocation)
    case plus(Expr, SourceLocation)
    case not(Expr)
    case binary(BinaryOperator, Expr, Expr, SourceLocation)
    case and(Expr, Expr)
    case or(Expr, Expr)
    /// `a < b <= c`: chained comparisons, each operand evaluated once.
    case compare(Expr, [(op: CompareOperator, operand: Expr)], SourceLocation)
    /// `a ~ b ~ c`: string concatenation of `str()` of each.
    case concat([Expr], SourceLocation)
    /// `a if test else b`; without `else`, Undefined when the test is false.
    case conditional(test: Expr, then: Expr, otherwise: Expr?, SourceLocation)
    /// `value|name(args)`; the value is nil in `{% filter %}` and block `set`
    /// chains, where the block's output is the input.
    case filter(Expr?, FilterCall)
    /// `value is [not] name(args)`.
    case test(Expr, name: String, Arguments, negated: Bool, SourceLocation)
    case call(Expr, Arguments, SourceLocation)
}

extension Expr {
    /// Whether the expression only looks a value up (`name`, `a.b`, `a[i]`,
    /// `a[i:j]`): what it yields is part of a value already kept (or a bound
    /// method over one, which is one level deeper), never a deeper container.
    var isLookup: Bool {
        var e = self
        while true {
            switch e {
            case .name, .constant: return true
            case .getattr(let base, _, _), .getitem(let base, _, _): e = base
            default: return false
            }
        }
    }
}

enum BinaryOperator: String, Sendable {
    case add = "+", subtract = "-", multiply = "*", divide = "/", floorDivide = "//", modulo = "%", power = "**"
}

enum CompareOperator: String, Sendable {
    case equal = "==", notEqual = "!=", less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">="
    case `in` = "in", notIn = "not in"
}

/// Call arguments: positional, keyword, and `*args` / `**kwargs` spreads.
struct Arguments: Sendable {
    var positional: [Expr] = []
    var keyword: [(name: String, value: Expr)] = []
    var star: Expr? = nil
    var starStar: Expr? = nil

    static let none = Arguments()
}

/// One `|name(args)` in a filter chain.
struct FilterCall: Sendable {
    let name: String
    let arguments: Arguments
    let location: SourceLocation
}
