/// Which names a template's top level sets before it reads them, and so are
/// undefined until that `set` runs — in every nested scope too, whatever the
/// context passes under that name.
///
/// jinja2 compiles the template's top-level frame with one Python local per
/// name it references there (`jinja2.idtracking`): a name whose first
/// reference in document order is a `set` (or a `macro`, or a `set` block)
/// outside any `if` starts as `missing`; a name first read starts as the
/// context's value (`resolve`); a name first set inside an `if` branch
/// resolves as well. Loop, macro, call, filter, `with` and `set`-block
/// bodies are frames of their own: what they read does not count as a
/// top-level reference, and they see the top-level local — so
/// `{% for m in x %}{{ b }}{% endfor %}{% set b = 1 %}` renders `b` as
/// undefined in the loop even when the context has a `b`.
enum RootFrameStores {
    static func undefinedAtStart(_ body: [Node]) throws(TemplateError) -> Set<String> {
        var walk = Walk()
        try walk.visit(body, conditional: false)
        return Set(walk.firstIsStore.filter(\.value).keys)
    }

    private struct Walk {
        /// name → whether its first top-level reference stores it unconditionally.
        var firstIsStore: [String: Bool] = [:]

        mutating func load(_ names: Set<String>) {
            for name in names where firstIsStore[name] == nil { firstIsStore[name] = false }
        }

        mutating func load(_ e: Expr) throws(TemplateError) {
            var names = NameCollector()
            try names.visit(e)
            load(names.loaded)
        }

        mutating func store(_ target: AssignTarget, conditional: Bool) {
            switch target {
            case .name(let name): if firstIsStore[name] == nil { firstIsStore[name] = !conditional }
            case .tuple(let items): for item in items { store(item, conditional: conditional) }
            case .namespaceAttribute(let namespace, _): load([namespace])
            }
        }

        mutating func visit(_ nodes: [Node], conditional: Bool) throws(TemplateError) {
            for node in nodes {
                switch node {
                case .text, .breakLoop, .continueLoop, .needsLoader, .scope: break
                case .output(let e, _): try load(e)
                case .conditional(let branches, let otherwise):
                    for branch in branches {
                        try load(branch.test)
                        try visit(branch.body, conditional: true)
                    }
                    try visit(otherwise, conditional: true)
                case .forLoop(let loop): try load(loop.iterable)
                case .assign(let target, let value, _):
                    try load(value)
                    store(target, conditional: conditional)
                case .assignBlock(let target, let filters, _, _):
                    store(target, conditional: conditional)
                    var names = NameCollector()
                    try names.visit(filters)
                    load(names.loaded)
                case .macro(let macro): store(.name(macro.name), conditional: conditional)
                case .callBlock(let call): try load(call.call)
                case .filterBlock(let filters, _):
                    var names = NameCollector()
                    try names.visit(filters)
                    load(names.loaded)
                case .with(let assignments, _):
                    for assignment in assignments { try load(assignment.value) }
                }
            }
        }
    }
}
