/// jinja2 refuses a template that uses an unknown filter or test when it
/// compiles it ("No filter named 'x'."), except inside an `if` block or an
/// inline `a if b else c`, where the name is only looked up if that code
/// runs (jinja2's compiler: "soft" frames, `CodeGenerator._filter_test_common`).
/// Loops, macros, `set` blocks and other scoped bodies start a non-soft frame again.
struct FilterNameCheck {
    private let stack = StackGuard()

    func check(_ nodes: [Node], soft: Bool = false) throws(TemplateError) {
        for node in nodes { try check(node, soft: soft) }
    }

    private func check(_ node: Node, soft: Bool) throws(TemplateError) {
        try stack.ensureRoom()
        switch node {
        case .text, .breakLoop, .continueLoop, .needsLoader: break
        case .output(let e, _): try check(e, soft: soft)
        case .conditional(let branches, let otherwise):
            for b in branches {
                try check(b.test, soft: true)
                try check(b.body, soft: true)
            }
            try check(otherwise, soft: true)
        case .forLoop(let f):
            try check(f.iterable, soft: soft)
            if let filter = f.filter { try check(filter, soft: false) }
            try check(f.body)
            try check(f.otherwise)
        case .assign(_, let e, _): try check(e, soft: soft)
        case .assignBlock(_, let filters, let body, _):
            try check(body)
            for f in filters { try check(f, soft: false) }
        case .macro(let m): try check(m)
        case .callBlock(let c):
            try check(c.call, soft: soft)
            try check(c.caller)
        case .filterBlock(let filters, let body):
            try check(body)
            for f in filters { try check(f, soft: false) }
        case .with(let assignments, let body):
            for a in assignments { try check(a.value, soft: soft) }
            try check(body)
        case .scope(let body): try check(body)
        }
    }

    private func check(_ m: MacroDefinition) throws(TemplateError) {
        for d in m.defaults { if let d { try check(d, soft: false) } }
        try check(m.body)
    }

    private func check(_ f: FilterCall, soft: Bool) throws(TemplateError) {
        if !soft && !Renderer.hasFilter(f.name) {
            throw TemplateError(.syntax, "No filter named '\(f.name)'.", at: f.location)
        }
        try check(f.arguments, soft: soft)
    }

    private func check(_ a: Arguments, soft: Bool) throws(TemplateError) {
        for p in a.positional { try check(p, soft: soft) }
        for k in a.keyword { try check(k.value, soft: soft) }
        if let s = a.star { try check(s, soft: soft) }
        if let s = a.starStar { try check(s, soft: soft) }
    }

    private func check(_ e: Expr, soft: Bool) throws(TemplateError) {
        try stack.ensureRoom()
        switch e {
        case .constant, .name: break
        case .list(let items), .tuple(let items), .concat(let items, _):
            for i in items { try check(i, soft: soft) }
        case .dict(let pairs):
            for p in pairs { try check(p.key, soft: soft); try check(p.value, soft: soft) }
        case .getattr(let x, _, _), .negate(let x, _), .plus(let x, _), .not(let x): try check(x, soft: soft)
        case .getitem(let x, let i, _): try check(x, soft: soft); try check(i, soft: soft)
        case .slice(let a, let b, let c):
            for part in [a, b, c] { if let part { try check(part, soft: soft) } }
        case .binary(_, let a, let b, _), .and(let a, let b), .or(let a, let b):
            try check(a, soft: soft); try check(b, soft: soft)
        case .compare(let first, let rest, _):
            try check(first, soft: soft)
            for r in rest { try check(r.operand, soft: soft) }
        case .conditional(let test, let then, let otherwise, _):
            try check(test, soft: true)
            try check(then, soft: true)
            if let otherwise { try check(otherwise, soft: true) }
        case .filter(let input, let f):
            if let input { try check(input, soft: soft) }
            try check(f, soft: soft)
        case .test(let x, let name, let args, _, let location):
            if !soft && !Renderer.hasTest(name) { throw TemplateError(.syntax, "No test named '\(name)'.", at: location) }
            try check(x, soft: soft)
            try check(args, soft: soft)
        case .call(let f, let args, _):
            try check(f, soft: soft)
            try check(args, soft: soft)
        }
    }
}
