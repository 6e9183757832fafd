/// Expressions, by jinja2's precedence (loosest first): conditional
/// `a if b else c`, `or`, `and`, `not`, comparisons and `in`, `+ -`, `~`,
/// `* / // %`, `**` (left-associative, as in jinja2), unary `- +`, then
/// postfix `.attr [item] (call)` and `|filter` / `is test`.
extension Parser {
    /// Comma-separated expressions: a tuple if there is a comma, else the one expression.
    mutating func parseTuple(simplified: Bool = false, withCondexpr: Bool = true, extraEnd: [String] = [],
                             explicitParentheses: Bool = false, withNamespace: Bool = false) throws(TemplateError) -> Expr {
        var items: [Expr] = []
        var isTuple = false
        while true {
            if !items.isEmpty { try expectOp(",") }
            if isTupleEnd(extraEnd) { break }
            items.append(simplified ? try parsePrimary(withNamespace: withNamespace) : try parseExpression(withCondexpr: withCondexpr))
            guard current.isOp(",") else { break }
            isTuple = true
        }
        if !isTuple {
            if let only = items.first { return only }
            if !explicitParentheses { throw fail("Expected an expression, got '\(current.description)'") }
        }
        return .tuple(items)
    }

    private func isTupleEnd(_ extraEnd: [String]) -> Bool {
        switch current.kind {
        case .variableEnd, .blockEnd: return true
        case .op(")"): return true
        case .name(let n): return extraEnd.contains(n)
        default: return false
        }
    }

    mutating func parseExpression(withCondexpr: Bool = true) throws(TemplateError) -> Expr {
        withCondexpr ? try parseConditional() : try parseOr()
    }

    private mutating func parseConditional() throws(TemplateError) -> Expr {
        var location = current.location
        var expr = try parseOr()
        while skipName("if") {
            let test = try parseOr()
            var otherwise: Expr? = nil
            if skipName("else") {
                try enter()
                defer { leave() }
                otherwise = try parseConditional()
            }
            expr = .conditional(test: test, then: expr, otherwise: otherwise, location)
            location = current.location
        }
        return expr
    }

    private mutating func parseOr() throws(TemplateError) -> Expr {
        var left = try parseAnd()
        while skipName("or") { left = .or(left, try parseAnd()) }
        return left
    }

    private mutating func parseAnd() throws(TemplateError) -> Expr {
        var left = try parseNot()
        while skipName("and") { left = .and(left, try parseNot()) }
        return left
    }

    private mutating func parseNot() throws(TemplateError) -> Expr {
        guard current.isName("not") else { return try parseCompare() }
        advance()
        try enter()
        defer { leave() }
        return .not(try parseNot())
    }

    private mutating func parseCompare() throws(TemplateError) -> Expr {
        let location = current.location
        let first = try parseMath1()
        var rest: [(op: CompareOperator, operand: Expr)] = []
        while true {
            if case .op(let o) = current.kind, let op = CompareOperator(rawValue: o), op != .in, op != .notIn {
                advance()
                rest.append((op, try parseMath1()))
            } else if skipName("in") {
                rest.append((.in, try parseMath1()))
            } else if current.isName("not"), peek().isName("in") {
                advance(); advance()
                rest.append((.notIn, try parseMath1()))
            } else {
                break
            }
        }
        return rest.isEmpty ? first : .compare(first, rest, location)
    }

    private mutating func parseMath1() throws(TemplateError) -> Expr {
        var left = try parseConcat()
        while case .op(let o) = current.kind, o == "+" || o == "-" {
            let location = current.location
            advance()
            left = .binary(o == "+" ? .add : .subtract, left, try parseConcat(), location)
        }
        return left
    }

    private mutating func parseConcat() throws(TemplateError) -> Expr {
        let location = current.location
        var items = [try parseMath2()]
        while skipOp("~") { items.append(try parseMath2()) }
        return items.count == 1 ? items[0] : .concat(items, location)
    }

    private mutating func parseMath2() throws(TemplateError) -> Expr {
        var left = try parsePow()
        while case .op(let o) = current.kind, let op = BinaryOperator(rawValue: o),
              op == .multiply || op == .divide || op == .floorDivide || op == .modulo {
            let location = current.location
            advance()
            left = .binary(op, left, try parsePow(), location)
        }
        return left
    }

    private mutating func parsePow() throws(TemplateError) -> Expr {
        var left = try parseUnary()
        while current.isOp("**") {
            let location = current.location
            advance()
            left = .binary(.power, left, try parseUnary(), location)
        }
        return left
    }

    /// `-x` / `+x` bind tighter than binary operators but looser than
    /// postfix; filters apply to the whole unary expression (`-x|abs` is `(-x)|abs`).
    private mutating func parseUnary(withFilter: Bool = true) throws(TemplateError) -> Expr {
        try enter()
        defer { leave() }
        let location = current.location
        var node: Expr
        if skipOp("-") {
            node = .negate(try parseUnary(withFilter: false), location)
        } else if skipOp("+") {
            node = .plus(try parseUnary(withFilter: false), location)
        } else {
            node = try parsePrimary()
        }
        node = try parsePostfix(node)
        return withFilter ? try parseFilterExpression(node) : node
    }

    mutating func parsePrimary(withNamespace: Bool = false) throws(TemplateError) -> Expr {
        let token = current
        switch token.kind {
        case .name(let n):
            advance()
            switch n {
            case "true", "True": return .constant(.bool(true))
            case "false", "False": return .constant(.bool(false))
            case "none", "None": return .constant(.none)
            default:
                if withNamespace, current.isOp(".") {
                    advance()
                    return .getattr(.name(n, token.location), try expectName(), token.location)
                }
                return .name(n, token.location)
            }
        case .string(var s):
            advance()
            while case .string(let more) = current.kind { s += more; advance() }
            return .constant(.string(s))
        case .integer(let i): advance(); return .constant(.int(i))
        case .float(let d): advance(); return .constant(.float(d))
        case .op("("):
            advance()
            let e = try parseTuple(explicitParentheses: true)
            try expectOp(")")
            return e
        case .op("["):
            advance()
            var items: [Expr] = []
            while !current.isOp("]") {
                if !items.isEmpty { try expectOp(",") }
                if current.isOp("]") { break }
                items.append(try parseExpression())
            }
            try expectOp("]")
            return .list(items)
        case .op("{"):
            advance()
            var pairs: [(key: Expr, value: Expr)] = []
            while !current.isOp("}") {
                if !pairs.isEmpty { try expectOp(",") }
                if current.isOp("}") { break }
                let key = try parseExpression()
                try expectOp(":")
                pairs.append((key, try parseExpression()))
            }
            try expectOp("}")
            return .dict(pairs)
        default:
            throw fail("unexpected '\(token.description)'")
        }
    }

    private mutating func parsePostfix(_ start: Expr) throws(TemplateError) -> Expr {
        var node = start
        while true {
            if current.isOp(".") || current.isOp("[") {
                node = try parseSubscript(node)
            } else if current.isOp("(") {
                let location = current.location
                node = .call(node, try parseCallArguments(), location)
            } else {
                return node
            }
        }
    }

    private mutating func parseFilterExpression(_ start: Expr) throws(TemplateError) -> Expr {
        var node = start
        while true {
            if current.isOp("|") {
                for f in try parseFilterChain(inline: false) { node = .filter(node, f) }
            } else if current.isName("is") {
                node = try parseTest(node)
            } else if current.isOp("(") {
                let location = current.location
                node = .call(node, try parseCallArguments(), location)
            } else {
                return node
            }
        }
    }

    private mutating func parseSubscript(_ node: Expr) throws(TemplateError) -> Expr {
        let token = current
        advance()
        if token.isOp(".") {
            let attribute = current
            advance()
            switch attribute.kind {
            case .name(let n): return .getattr(node, n, token.location)
            case .integer(let i): return .getitem(node, .constant(.int(i)), token.location)
            default: throw fail("expected name or number", at: attribute)
            }
        }
        var args: [Expr] = []
        while !current.isOp("]") {
            if !args.isEmpty { try expectOp(",") }
            args.append(try parseSubscribed())
        }
        try expectOp("]")
        return .getitem(node, args.count == 1 ? args[0] : .tuple(args), token.location)
    }

    /// One subscript: an expression or a `start:stop:step` slice with any part omitted.
    private mutating func parseSubscribed() throws(TemplateError) -> Expr {
        var start: Expr? = nil
        if !current.isOp(":") {
            let e = try parseExpression()
            guard current.isOp(":") else { return e }
            start = e
        }
        advance()
        var stop: Expr? = nil, step: Expr? = nil
        if !current.isOp(":") && !current.isOp("]") && !current.isOp(",") { stop = try parseExpression() }
        if skipOp(":") {
            if !current.isOp("]") && !current.isOp(",") { step = try parseExpression() }
        }
        return .slice(start: start, stop: stop, step: step)
    }

    mutating func parseCallArguments() throws(TemplateError) -> Arguments {
        let open = current
        try expectOp("(")
        var args = Arguments()
        var requireComma = false
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
            requireComma = true
        }
        try expectOp(")")
        return args
    }

    /// `|name(args)|name…`; `inline` starts without a `|` (`{% filter upper %}`).
    mutating func parseFilterChain(inline: Bool) throws(TemplateError) -> [FilterCall] {
        var filters: [FilterCall] = []
        var first = inline
        while current.isOp("|") || first {
            if !first { advance() }
            first = false
            let location = current.location
            var name = try expectName()
            while skipOp(".") { name += "." + (try expectName()) }
            let args = current.isOp("(") ? try parseCallArguments() : .none
            filters.append(FilterCall(name: name, arguments: args, location: location))
        }
        return filters
    }

    private mutating func parseTest(_ node: Expr) throws(TemplateError) -> Expr {
        let location = current.location
        advance()
        let negated = skipName("not")
        var name = try expectName()
        while skipOp(".") { name += "." + (try expectName()) }
        var args = Arguments.none
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
