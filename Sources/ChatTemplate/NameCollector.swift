/// Collects the variable names a piece of template reads, walking every
/// statement and expression (nested macro bodies included).
struct NameCollector {
    private(set) var loaded: Set<String> = []

    mutating func visit(_ nodes: [Node]) { for n in nodes { visit(n) } }

    mutating func visit(_ node: Node) {
        switch node {
        case .text, .breakLoop, .continueLoop, .needsLoader: break
        case .output(let e, _): visit(e)
        case .conditional(let branches, let otherwise):
            for b in branches { visit(b.test); visit(b.body) }
            visit(otherwise)
        case .forLoop(let f):
            visit(f.iterable); f.filter.map { visit($0) }; visit(f.body); visit(f.otherwise)
        case .assign(let t, let e, _): visit(t); visit(e)
        case .assignBlock(let t, let filters, let body, _): visit(t); visit(filters); visit(body)
        case .macro(let m): visit(m)
        case .callBlock(let c): visit(c.call); visit(c.caller)
        case .filterBlock(let filters, let body): visit(filters); visit(body)
        case .with(let assignments, let body):
            for a in assignments { visit(a.value) }
            visit(body)
        case .scope(let body): visit(body)
        }
    }

    private mutating func visit(_ m: MacroDefinition) {
        for d in m.defaults { d.map { visit($0) } }
        visit(m.body)
    }

    private mutating func visit(_ t: AssignTarget) {
        // `set ns.attr = …` reads the namespace variable.
        switch t {
        case .name: break
        case .tuple(let items): for i in items { visit(i) }
        case .namespaceAttribute(let ns, _): loaded.insert(ns)
        }
    }

    private mutating func visit(_ filters: [FilterCall]) { for f in filters { visit(f.arguments) } }

    private mutating func visit(_ a: Arguments) {
        for p in a.positional { visit(p) }
        for k in a.keyword { visit(k.value) }
        a.star.map { visit($0) }
        a.starStar.map { visit($0) }
    }

    mutating func visit(_ e: Expr) {
        switch e {
        case .constant: break
        case .name(let n, _): loaded.insert(n)
        case .list(let items), .tuple(let items), .concat(let items, _): for i in items { visit(i) }
        case .dict(let pairs): for p in pairs { visit(p.key); visit(p.value) }
        case .getattr(let x, _, _), .negate(let x, _), .plus(let x, _), .not(let x): visit(x)
        case .getitem(let x, let i, _): visit(x); visit(i)
        case .slice(let a, let b, let c): a.map { visit($0) }; b.map { visit($0) }; c.map { visit($0) }
        case .binary(_, let a, let b, _), .and(let a, let b), .or(let a, let b): visit(a); visit(b)
        case .compare(let first, let rest, _): visit(first); for r in rest { visit(r.operand) }
        case .conditional(let t, let a, let b, _): visit(t); visit(a); b.map { visit($0) }
        case .filter(let x, let f): x.map { visit($0) }; visit(f.arguments)
        case .test(let x, _, let args, _, _): visit(x); visit(args)
        case .call(let f, let args, _): visit(f); visit(args)
        }
    }
}
