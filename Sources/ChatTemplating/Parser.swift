/// Builds the statement tree from tokens, following jinja2's `Parser`
/// (same grammar, precedence and error cases). Nesting is bounded by
/// `maxDepth` so a hostile template cannot exhaust the stack while parsing,
/// and the height of every tree it builds by `maxTreeDepth`: a chain such
/// as `a.b.c`, `a + b + c` or `x|f|g` is parsed in a loop (as jinja2 does)
/// but is a tree as deep as it is long, and checking, rendering and freeing
/// a tree all recurse once per level.
struct Parser {
    private let tokens: [Token]
    private var index = 0
    private var depth = 0
    private let maxDepth: Int
    private let maxTreeDepth: Int
    /// Height of the expression the last expression parse returned (a leaf
    /// is 1; 0 for "no expression", such as a call without arguments).
    var treeHeight = 0
    /// Open block tags, innermost last (for "unexpected end of template" messages).
    private var tagStack: [String] = []
    /// How many `for` bodies enclose the current point in this macro (for `break`/`continue`).
    private var loopDepth = 0
    private let stack = StackGuard()

    init(tokens: [Token], limits: TemplateLimits) {
        self.tokens = tokens
        self.maxDepth = limits.maxParseDepth
        self.maxTreeDepth = limits.maxTreeDepth
    }

    mutating func parseTemplate() throws(TemplateError) -> [Node] {
        try subparse(until: nil)
    }

    // MARK: - Token stream

    var current: Token { tokens[index] }

    mutating func advance() { if index < tokens.count - 1 { index += 1 } }

    func peek() -> Token { tokens[min(index + 1, tokens.count - 1)] }

    func fail(_ message: String, at token: Token? = nil) -> TemplateError {
        TemplateError(.syntax, message, at: (token ?? current).location)
    }

    mutating func skipOp(_ op: String) -> Bool {
        guard current.isOp(op) else { return false }
        advance()
        return true
    }

    mutating func skipName(_ name: String) -> Bool {
        guard current.isName(name) else { return false }
        advance()
        return true
    }

    mutating func expectOp(_ op: String) throws(TemplateError) {
        guard skipOp(op) else { throw fail("expected token '\(op)', got '\(current.description)'") }
    }

    mutating func expectName() throws(TemplateError) -> String {
        guard let n = current.name else { throw fail("expected token 'name', got '\(current.description)'") }
        advance()
        return n
    }

    mutating func expectName(_ name: String) throws(TemplateError) {
        guard skipName(name) else { throw fail("expected token '\(name)', got '\(current.description)'") }
    }

    mutating func expect(_ kind: Token.Kind, _ what: String) throws(TemplateError) {
        guard current.kind == kind else { throw fail("expected token '\(what)', got '\(current.description)'") }
        advance()
    }

    /// Counts one level of nesting; callers decrement with `leave()`.
    mutating func enter() throws(TemplateError) {
        depth += 1
        if depth > maxDepth || !stack.hasRoom() {
            throw TemplateError(.limit(.parseDepth), "template nests deeper than \(maxDepth) levels", at: current.location)
        }
    }

    mutating func leave() { depth -= 1 }

    /// Records that the expression just built is `height` levels tall, and
    /// refuses it when that plus the nesting around it passes `maxTreeDepth`.
    /// Chains call this before parsing each next link too, so that a long
    /// chain is refused before it grows past the limit.
    mutating func built(height: Int, at location: SourceLocation? = nil) throws(TemplateError) {
        treeHeight = height
        if depth + height > maxTreeDepth {
            throw TemplateError(.limit(.treeDepth), "expression nests deeper than \(maxTreeDepth) levels "
                + "(counting each link of a chain such as a.b.c, a + b + c or x|f|g)", at: location ?? current.location)
        }
    }

    // MARK: - Statements

    /// Template data, `{{ }}` and statements until one of `endTags` opens a
    /// block (left as the current token) or the template ends.
    private mutating func subparse(until endTags: [String]?) throws(TemplateError) -> [Node] {
        var body: [Node] = []
        while true {
            switch current.kind {
            case .data(let text):
                body.append(.text(text))
                advance()
            case .variableBegin:
                let location = current.location
                advance()
                let e = try parseTuple()
                try expect(.variableEnd, "end of print statement")
                body.append(.output(e, location))
            case .blockBegin:
                advance()
                if let endTags, let n = current.name, endTags.contains(n) { return body }
                body.append(contentsOf: try parseStatement())
                try expect(.blockEnd, "end of statement block")
            case .eof:
                if let endTags { throw unexpectedEnd(looking: endTags) }
                return body
            default:
                throw fail("unexpected '\(current.description)'")
            }
        }
    }

    private func unexpectedEnd(looking endTags: [String]) -> TemplateError {
        var message = "Unexpected end of template. Jinja was looking for the following tags: "
            + endTags.map { "'\($0)'" }.joined(separator: " or ") + "."
        if let open = tagStack.last { message += " The innermost block that needs to be closed is '\(open)'." }
        return fail(message)
    }

    /// `:`? then `%}`, then the body up to one of `endTags`; with `drop` the end tag's name is consumed.
    private mutating func parseBody(until endTags: [String], drop: Bool = false) throws(TemplateError) -> [Node] {
        _ = skipOp(":")
        try expect(.blockEnd, "end of statement block")
        let body = try subparse(until: endTags)
        if drop { advance() }
        return body
    }

    private mutating func parseStatement() throws(TemplateError) -> [Node] {
        let token = current
        guard let tag = token.name else { throw fail("tag name expected") }
        try enter()
        defer { leave() }
        tagStack.append(tag)
        defer { tagStack.removeLast() }
        switch tag {
        case "for": return [try parseFor()]
        case "if": return [try parseIf()]
        case "set": return [try parseSet()]
        case "macro": return [.macro(try parseMacro())]
        case "call": return [try parseCallBlock()]
        case "filter":
            advance()
            let filters = try parseFilterChain(inline: true)
            return [.filterBlock(filters: filters, body: try parseBody(until: ["endfilter"], drop: true))]
        case "with": return [try parseWith()]
        case "block":
            advance()
            let name = try expectName()
            _ = skipName("scoped")
            _ = skipName("required")
            let body = try parseBody(until: ["endblock"], drop: true)
            _ = skipName(name)
            return [.scope(body)]
        case "generation":
            advance()
            return [.scope(try parseBody(until: ["endgeneration"], drop: true))]
        case "autoescape":
            // Output is never HTML-escaped here; the setting only matters to HTML templates.
            advance()
            _ = try parseExpression()
            return [.scope(try parseBody(until: ["endautoescape"], drop: true))]
        case "print":
            advance()
            var nodes: [Node] = []
            while current.kind != .blockEnd {
                if !nodes.isEmpty { try expectOp(",") }
                let location = current.location
                nodes.append(.output(try parseExpression(), location))
            }
            return nodes
        case "break", "continue":
            guard loopDepth > 0 else { throw fail("'\(tag)' outside of a loop", at: token) }
            advance()
            return [tag == "break" ? .breakLoop(token.location) : .continueLoop(token.location)]
        case "extends", "include", "import", "from":
            advance()
            _ = try parseExpression()
            // The rest (`as name`, `import a, b`, `ignore missing`, `with context`) only matters with a loader.
            while current.kind != .blockEnd && current.kind != .eof { advance() }
            return [.needsLoader(tag: tag, token.location)]
        default:
            throw fail("Encountered unknown tag '\(tag)'.", at: token)
        }
    }

    private mutating func parseFor() throws(TemplateError) -> Node {
        let location = current.location
        advance()
        let target = try parseAssignTarget(extraEnd: ["in"])
        try expectName("in")
        let iterable = try parseTuple(withCondexpr: false, extraEnd: ["recursive"])
        let filter = skipName("if") ? try parseExpression() : nil
        let recursive = skipName("recursive")
        loopDepth += 1
        let body = try parseBody(until: ["endfor", "else"])
        loopDepth -= 1
        var otherwise: [Node] = []
        if skipName("else") { otherwise = try parseBody(until: ["endfor"], drop: true) } else { advance() }
        return .forLoop(ForLoop(target: target, iterable: iterable, filter: filter, body: body,
                                otherwise: otherwise, recursive: recursive, location: location))
    }

    private mutating func parseIf() throws(TemplateError) -> Node {
        advance()
        var branches: [(test: Expr, body: [Node])] = []
        var otherwise: [Node] = []
        while true {
            let test = try parseTuple(withCondexpr: false)
            branches.append((test, try parseBody(until: ["elif", "else", "endif"])))
            let tag = current.name
            advance()
            if tag == "elif" { continue }
            if tag == "else" { otherwise = try parseBody(until: ["endif"], drop: true) }
            break
        }
        return .conditional(branches: branches, otherwise: otherwise)
    }

    private mutating func parseSet() throws(TemplateError) -> Node {
        let location = current.location
        advance()
        let target = try parseAssignTarget(withNamespace: true)
        if skipOp("=") { return .assign(target, try parseTuple(), location) }
        let filters = try parseFilterChain(inline: false)
        return .assignBlock(target, filters: filters, body: try parseBody(until: ["endset"], drop: true), location)
    }

    private mutating func parseWith() throws(TemplateError) -> Node {
        advance()
        var assignments: [(target: AssignTarget, value: Expr)] = []
        while current.kind != .blockEnd {
            if !assignments.isEmpty { try expectOp(",") }
            let target = try parseAssignTarget()
            try expectOp("=")
            assignments.append((target, try parseExpression()))
        }
        return .with(assignments: assignments, body: try parseBody(until: ["endwith"], drop: true))
    }

    private mutating func parseMacro() throws(TemplateError) -> MacroDefinition {
        let location = current.location
        advance()
        let name = try expectName()
        let (parameters, defaults) = try parseSignature()
        let savedLoops = loopDepth
        loopDepth = 0
        defer { loopDepth = savedLoops }
        let body = try parseBody(until: ["endmacro"], drop: true)
        return try MacroDefinition(name: name, parameters: parameters, defaults: defaults, body: body, location: location)
    }

    private mutating func parseCallBlock() throws(TemplateError) -> Node {
        let location = current.location
        advance()
        var parameters: [String] = [], defaults: [Expr?] = []
        if current.isOp("(") { (parameters, defaults) = try parseSignature() }
        let call = try parseExpression()
        guard case .call = call else { throw TemplateError(.syntax, "expected call", at: location) }
        let savedLoops = loopDepth
        loopDepth = 0
        defer { loopDepth = savedLoops }
        let body = try parseBody(until: ["endcall"], drop: true)
        let caller = try MacroDefinition(name: "caller", parameters: parameters, defaults: defaults, body: body, location: location)
        return .callBlock(CallBlock(call: call, caller: caller))
    }

    /// `(a, b=default, …)`: names, and defaults that may not be followed by plain names.
    private mutating func parseSignature() throws(TemplateError) -> ([String], [Expr?]) {
        try expectOp("(")
        var names: [String] = [], defaults: [Expr?] = []
        while !current.isOp(")") {
            if !names.isEmpty { try expectOp(",") }
            names.append(try expectName())
            if skipOp("=") {
                defaults.append(try parseExpression())
            } else if defaults.contains(where: { $0 != nil }) {
                throw fail("non-default argument follows default argument")
            } else if names.last == "caller" {
                throw fail("When defining macros or call blocks the special \"caller\" argument must be omitted or be given a default.")
            } else {
                defaults.append(nil)
            }
        }
        try expectOp(")")
        return (names, defaults)
    }
}
