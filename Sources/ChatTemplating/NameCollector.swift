/// Collects the variable names a piece of template reads, walking every
/// statement and expression (nested macro bodies included).
struct NameCollector {
    private(set) var loaded: Set<String> = []
    /// Whether some `for` loop iterates `X.content` or `X['content']` (a
    /// message's content parts).
    private(set) var loopsOverContent = false
    private let stack = StackGuard()

    mutating func visit(_ nodes: [Node]) throws(TemplateError) { for n in nodes { try visit(n) } }

    mutating func visit(_ node: Node) throws(TemplateError) {
        try stack.ensureRoom()
        switch node {
        case .text, .breakLoop, .continueLoop, .needsLoader: break
        case .output(let e, _): try visit(e)
        case .conditional(let branches, let otherwise):
            for b in branches { try visit(b.test); try visit(b.body) }
            try visit(otherwise)
        case .forLoop(let f):
            switch f.iterable {
            case .getattr(_, "content", _), .getitem(_, .constant(.string("content")), _): loopsOverContent = true
            default: break
            }
            try visit(f.iterable); try visit(f.filter); try visit(f.body); try visit(f.otherwise)
        case .assign(let t, let e, _): try visit(t); try visit(e)
        case .assignBlock(let t, let filters, let body, _): try visit(t); try visit(filters); try visit(body)
        case .macro(let m): try visit(m)
        case .callBlock(let c): try visit(c.call); try visit(c.caller)
        case .filterBlock(let filters, let body): try visit(filters); try visit(body)
        case .with(let assignments, let body):
            for a in assignments { try visit(a.value) }
            try visit(body)
        case .scope(let body): try visit(body)
        }
    }

    private mutating func visit(_ m: MacroDefinition) throws(TemplateError) {
        for d in m.defaults { try visit(d) }
        try visit(m.body)
    }

    private mutating func visit(_ t: AssignTarget) throws(TemplateError) {
        // `set ns.attr = …` reads the namespace variable.
        switch t {
        case .name: break
        case .tuple(let items): for i in items { try visit(i) }
        case .namespaceAttribute(let ns, _): loaded.insert(ns)
        }
    }

    mutating func visit(_ filters: [FilterCall]) throws(TemplateError) { for f in filters { try visit(f.arguments) } }

    private mutating func visit(_ a: Arguments) throws(TemplateError) {
        for p in a.positional { try visit(p) }
        for k in a.keyword { try visit(k.value) }
        try visit(a.star)
        try visit(a.starStar)
    }

    private mutating func visit(_ e: Expr?) throws(TemplateError) {
        if let e { try visit(e) }
    }

    mutating func visit(_ e: Expr) throws(TemplateError) {
        try stack.ensureRoom()
        switch e {
        case .constant: break
        case .name(let n, _): loaded.insert(n)
        case .list(let items), .tuple(let items), .concat(let items, _): for i in items { try visit(i) }
        case .dict(let pairs): for p in pairs { try visit(p.key); try visit(p.value) }
        case .getattr(let x, _, _), .negate(let x, _), .plus(let x, _), .not(let x): try visit(x)
        case .getitem(let x, let i, _): try visit(x); try visit(i)
        case .slice(let a, let b, let c): try visit(a); try visit(b); try visit(c)
        case .binary(_, let a, let b, _), .and(let a, let b), .or(let a, let b): try visit(a); try visit(b)
        case .compare(let first, let rest, _): try visit(first); for r in rest { try visit(r.operand) }
        case .conditional(let t, let a, let b, _): try visit(t); try visit(a); try visit(b)
        case .filter(let x, let f): try visit(x); try visit(f.arguments)
        case .test(let x, _, let args, _, _): try visit(x); try visit(args)
        case .call(let f, let args, _): try visit(f); try visit(args)
        }
    }
}
