/// What may follow an operand: `.attr`, `[item]` and `(call)`, then the
/// `|filter` and `is test` chains with their arguments (jinja2's
/// `parse_postfix`, `parse_filter_expr`, `parse_call_args` and `parse_test`).
/// Each extension of a node goes through `extend`, so its height is checked.
extension Parser {
    /// `.attr`, `[item]` and `(call)` after `start` (whose height is in `treeHeight`).
    mutating func parsePostfix(_ start: Expr) throws(TemplateError) -> Expr {
        var node = start
        var height = treeHeight
        while current.isOp(".") || current.isOp("[") || current.isOp("(") {
            node = try extend(&height) { (p: inout Parser) throws(TemplateError) -> Expr in
                try p.current.isOp("(") ? p.parseCall(node) : p.parseSubscript(node)
            }
        }
        return node
    }

    /// `|filter`, `is test` and `(call)` after `start` (whose height is in `treeHeight`).
    mutating func parseFilterExpression(_ start: Expr) throws(TemplateError) -> Expr {
        var node = start
        var height = treeHeight
        while current.isOp("|") || current.isName("is") || current.isOp("(") {
            node = try extend(&height) { (p: inout Parser) throws(TemplateError) -> Expr in
                if p.current.isName("is") { return try p.parseTest(node) }
                if p.current.isOp("(") { return try p.parseCall(node) }
                p.advance()
                return .filter(node, try p.parseFilter())
            }
        }
        return node
    }

    private mutating func parseCall(_ node: Expr) throws(TemplateError) -> Expr {
        let location = current.location
        return .call(node, try parseCallArguments(), location)
    }

    private mutating func parseSubscript(_ node: Expr) throws(TemplateError) -> Expr {
        let token = current
        advance()
        if token.isOp(".") {
            let attribute = current
            advance()
            switch attribute.kind {
            case .name(let n):
                treeHeight = 0
                return .getattr(node, n, token.location)
            case .integer(let i):
                treeHeight = 1
                return .getitem(node, .constant(.int(i)), token.location)
            default: throw fail("expected name or number", at: attribute)
            }
        }
        var args: [Expr] = []
        var tallest = 0
        while !current.isOp("]") {
            if !args.isEmpty { try expectOp(",") }
            args.append(try parseSubscribed())
            tallest = max(tallest, treeHeight)
        }
        try expectOp("]")
        // Several subscripts are one tuple: one level more.
        treeHeight = args.count == 1 ? tallest : tallest + 1
        return .getitem(node, args.count == 1 ? args[0] : .tuple(args), token.location)
    }

    /// One subscript: an expression or a `start:stop:step` slice with any part omitted.
    private mutating func parseSubscribed() throws(TemplateError) -> Expr {
        var start: Expr? = nil
        var tallest = 0
        if !current.isOp(":") {
            let e = try parseExpression()
            guard current.isOp(":") else { return e }
            start = e
            tallest = treeHeight
        }
        advance()
        var stop: Expr? = nil, step: Expr? = nil
        if !current.isOp(":") && !current.isOp("]") && !current.isOp(",") {
            stop = try parseExpression()
            tallest = max(tallest, treeHeight)
        }
        if skipOp(":") {
            if !current.isOp("]") && !current.isOp(",") {
                step = try parseExpression()
                tallest = max(tallest, treeHeight)
            }
        }
        try built(height: tallest + 1)
        return .slice(start: start, stop: stop, step: step)
    }

    /// `(args)`; leaves the tallest argument's height in `treeHeight` (0 for none).
    mutating func parseCallArguments() throws(TemplateError) -> Arguments {
        let open = current
        try expectOp("(")
        var args = Arguments()
        var requireComma = false
        var tallest = 0
        func invalid() -> TemplateError { TemplateError(.syntax, "invalid syntax for function call expression", at: open.location) }
        while !current.isOp(")") {
            if requireComma {
                try expectOp(",")
                if current.isOp(")") { break }
            }
            if skipOp("*") {
                guard args.star == nil, args.starStar == nil else { throw invalid() }
                args.star = try parseExpression()
            } else if skipOp("**") {
                guard args.starStar == nil else { throw invalid() }
                args.starStar = try parseExpression()
            } else if let name = current.name, peek().isOp("=") {
                guard args.starStar == nil else { throw invalid() }
                advance(); advance()
                args.keyword.append((name, try parseExpression()))
            } else {
                guard args.star == nil, args.starStar == nil, args.keyword.isEmpty else { throw invalid() }
                args.positional.append(try parseExpression())
            }
            tallest = max(tallest, treeHeight)
            requireComma = true
        }
        try expectOp(")")
        treeHeight = tallest
        return args
    }

    /// `|name(args)|name…` of `{% filter %}` and block `set` (a flat list,
    /// applied in a loop); `inline` starts without a `|` (`{% filter upper %}`).
    mutating func parseFilterChain(inline: Bool) throws(TemplateError) -> [FilterCall] {
        var filters: [FilterCall] = []
        var first = inline
        while current.isOp("|") || first {
            if !first { advance() }
            first = false
            filters.append(try parseFilter())
        }
        return filters
    }

    /// `name(args)` after a `|`; leaves the tallest argument's height in `treeHeight`.
    private mutating func parseFilter() throws(TemplateError) -> FilterCall {
        let location = current.location
        var name = try expectName()
        while skipOp(".") { name += "." + (try expectName()) }
        treeHeight = 0
        let args = current.isOp("(") ? try parseCallArguments() : .none
        return FilterCall(name: name, arguments: args, location: location)
    }

    private mutating func parseTest(_ node: Expr) throws(TemplateError) -> Expr {
        let location = current.location
        advance()
        let negated = skipName("not")
        var name = try expectName()
        while skipOp(".") { name += "." + (try expectName()) }
        var args = Arguments.none
        treeHeight = 0
        if current.isOp("(") {
            args = try parseCallArguments()
        } else if startsTestArgument() {
            if current.isName("is") { throw fail("You cannot chain multiple tests with is") }
            args.positional = [try parsePostfix(try parsePrimary())]
        }
        return .test(node, name: name, args, negated: negated, location)
    }

    /// Whether a test takes one argument without parentheses (`x is divisibleby 3`).
    private func startsTestArgument() -> Bool {
        switch current.kind {
        case .name(let n): return n != "else" && n != "or" && n != "and"
        case .string, .integer, .float, .op("["), .op("{"): return true
        default: return false
        }
    }
}
