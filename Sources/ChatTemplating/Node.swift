/// A statement of the template (jinja2's `nodes.Stmt` plus template text).
indirect enum Node: Sendable {
    /// Literal template text.
    case text(String)
    /// `{{ expr }}`.
    case output(Expr, SourceLocation)
    /// `if`/`elif`… with an optional `else`.
    case conditional(branches: [(test: Expr, body: [Node])], otherwise: [Node])
    case forLoop(ForLoop)
    /// `{% set target = expr %}`.
    case assign(AssignTarget, Expr, SourceLocation)
    /// `{% set target | filters %}…{% endset %}`: the body's output, filtered.
    case assignBlock(AssignTarget, filters: [FilterCall], body: [Node], SourceLocation)
    case macro(MacroDefinition)
    /// `{% call(params) macro(args) %}body{% endcall %}`.
    case callBlock(CallBlock)
    /// `{% filter f|g %}body{% endfilter %}`.
    case filterBlock(filters: [FilterCall], body: [Node])
    /// `{% with a = 1, b = 2 %}body{% endwith %}`.
    case with(assignments: [(target: AssignTarget, value: Expr)], body: [Node])
    /// A body rendered in its own scope: `{% block %}`, `{% generation %}`
    /// (transformers' AssistantTracker renders it unchanged).
    case scope([Node])
    case breakLoop(SourceLocation)
    case continueLoop(SourceLocation)
    /// `include`, `import`, `from`, `extends`: they parse, but a chat
    /// template has no loader, so running one fails (as in transformers).
    case needsLoader(tag: String, SourceLocation)
}

/// What `set`, `for` and `with` assign to.
indirect enum AssignTarget: Sendable {
    case name(String)
    /// `a, b`: unpacks an iterable of exactly that many items.
    case tuple([AssignTarget])
    /// `ns.attr`: an attribute of a `namespace()` (only in `set`).
    case namespaceAttribute(String, String)
}

/// `{% for target in iterable [if filter] [recursive] %}body{% else %}…{% endfor %}`.
struct ForLoop: Sendable {
    let target: AssignTarget
    let iterable: Expr
    let filter: Expr?
    let body: [Node]
    let otherwise: [Node]
    let recursive: Bool
    let location: SourceLocation
}

/// `{% call %}` block: the caller's parameters and body, and the call it wraps.
struct CallBlock: Sendable {
    let call: Expr
    let caller: MacroDefinition
}
