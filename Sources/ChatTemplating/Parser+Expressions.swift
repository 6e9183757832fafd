/// Expressions, by jinja2's precedence (loosest first): conditional
/// `a if b else c`, `or`, `and`, `not`, comparisons and `in`, `+ -`, `~`,
/// `* / // %`, `**` (left-associative, as in jinja2), unary `- +`, then
/// postfix `.attr [item] (call)` and `|filter` / `is test` (`Parser+Postfix`).
///
/// Every function that returns an expression leaves its height in
/// `treeHeight`, and every node is checked with `built(height:)`, so no
/// tree taller than `maxTreeDepth` is ever built.
extension Parser {
    /// Comma-separated expressions: a tuple if there is a comma, else the one expression.
    mutating func parseTuple(simplified: Bool = false, withCondexpr: Bool = true, extraEnd: [String] = [],
                             explicitParentheses: Bool = false, withNamespace: Bool = false) throws(TemplateError) -> Expr {
        var items: [Expr] = []
        var isTuple = false
        var tallest = 0
        while true {
            if !items.isEmpty { try expectOp(",") }
            if isTupleEnd(extraEnd) { break }
            items.append(simplified ? try parsePrimary(withNamespace: withNamespace) : try parseExpression(withCondexpr: withCondexpr))
            tallest = max(tallest, treeHeight)
            guard current.isOp(",") else { break }
            isTuple = true
        }
        if !isTuple {
            if let only = items.first { return only }
            if !explicitParentheses { throw fail("Expected an expression, got '\(current.description)'") }
        }
        try built(height: tallest + 1)
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

    /// One more link on a chain whose height so far is `height`: refused
    /// before `link` parses anything when the chain is already at the limit,
    /// then checked again with the height of what `link` parsed (which it
    /// leaves in `treeHeight`, 0 for nothing, as `.attr` parses nothing).
    mutating func extend(_ height: inout Int,
                                 _ link: (inout Parser) throws(TemplateError) -> Expr) throws(TemplateError) -> Expr {
        let location = current.location
        try built(height: height + 1, at: location)
        let node = try link(&self)
        height = max(height, treeHeight) + 1
        try built(height: height, at: location)
        return node
    }

    /// A left-associative chain `operand (operator operand)*`, built in a
    /// loop as jinja2 builds it; `join` says whether the current token
    /// continues the chain and makes the node that does.
    private mutating func parseChain(_ operand: (inout Parser) throws(TemplateError) -> Expr,
                                     _ join: (Token) -> ((Expr, Expr, SourceLocation) -> Expr)?) throws(TemplateError) -> Expr {
        var left = try operand(&self)
        var height = treeHeight
        while let make = join(current) {
            left = try extend(&height) { (p: inout Parser) throws(TemplateError) -> Expr in
                let location = p.current.location
                p.advance()
                return make(left, try operand(&p), location)
            }
        }
        return left
    }

    private mutating func parseConditional() throws(TemplateError) -> Expr {
        var location = current.location
        var expr = try parseOr()
        var height = treeHeight
        while current.isName("if") {
            expr = try extend(&height) { [location] (p: inout Parser) throws(TemplateError) -> Expr in
                p.advance()
                let test = try p.parseOr()
                var tallest = p.treeHeight
                var otherwise: Expr? = nil
                if p.skipName("else") {
                    try p.enter()
                    defer { p.leave() }
                    otherwise = try p.parseConditional()
                    tallest = max(tallest, p.treeHeight)
                }
                p.treeHeight = tallest
                return .conditional(test: test, then: expr, otherwise: otherwise, location)
            }
            location = current.location
        }
        return expr
    }

    private mutating func parseOr() throws(TemplateError) -> Expr {
        try parseChain({ (p: inout Parser) throws(TemplateError) -> Expr in try p.parseAnd() }) { token in
            token.isName("or") ? { a, b, _ in .or(a, b) } : nil
        }
    }

    private mutating func parseAnd() throws(TemplateError) -> Expr {
        try parseChain({ (p: inout Parser) throws(TemplateError) -> Expr in try p.parseNot() }) { token in
            token.isName("and") ? { a, b, _ in .and(a, b) } : nil
        }
    }

    private mutating func parseNot() throws(TemplateError) -> Expr {
        guard current.isName("not") else { return try parseCompare() }
        advance()
        try enter()
        defer { leave() }
        let operand = try parseNot()
        try built(height: treeHeight + 1)
        return .not(operand)
    }

    private mutating func parseCompare() throws(TemplateError) -> Expr {
        let location = current.location
        let first = try parseMath1()
        var tallest = treeHeight
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
            tallest = max(tallest, treeHeight)
        }
        if rest.isEmpty { return first }
        // One node over all operands, however many: `a < b < c` is no taller than `a < b`.
        try built(height: tallest + 1, at: location)
        return .compare(first, rest, location)
    }

    private mutating func parseMath1() throws(TemplateError) -> Expr {
        try parseChain({ (p: inout Parser) throws(TemplateError) -> Expr in try p.parseConcat() }) { token in
            guard case .op(let o) = token.kind, o == "+" || o == "-" else { return nil }
            return { .binary(o == "+" ? .add : .subtract, $0, $1, $2) }
        }
    }

    private mutating func parseConcat() throws(TemplateError) -> Expr {
        let location = current.location
        var items = [try parseMath2()]
        var tallest = treeHeight
        while skipOp("~") {
            items.append(try parseMath2())
            tallest = max(tallest, treeHeight)
        }
        if items.count == 1 { return items[0] }
        // One node over all operands, as for comparisons.
        try built(height: tallest + 1, at: location)
        return .concat(items, location)
    }

    private mutating func parseMath2() throws(TemplateError) -> Expr {
        try parseChain({ (p: inout Parser) throws(TemplateError) -> Expr in try p.parsePow() }) { token in
            guard case .op(let o) = token.kind, let op = BinaryOperator(rawValue: o),
                  op == .multiply || op == .divide || op == .floorDivide || op == .modulo else { return nil }
            return { .binary(op, $0, $1, $2) }
        }
    }

    private mutating func parsePow() throws(TemplateError) -> Expr {
        try parseChain({ (p: inout Parser) throws(TemplateError) -> Expr in try p.parseUnary() }) { token in
            token.isOp("**") ? { .binary(.power, $0, $1, $2) } : nil
        }
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
            try built(height: treeHeight + 1, at: location)
        } else if skipOp("+") {
            node = .plus(try parseUnary(withFilter: false), location)
            try built(height: treeHeight + 1, at: location)
        } else {
            node = try parsePrimary()
        }
        node = try parsePostfix(node)
        return withFilter ? try parseFilterExpression(node) : node
    }

    mutating func parsePrimary(withNamespace: Bool = false) throws(TemplateError) -> Expr {
        let token = current
        treeHeight = 1
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
                    treeHeight = 2
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
            var tallest = 0
            while !current.isOp("]") {
                if !items.isEmpty { try expectOp(",") }
                if current.isOp("]") { break }
                items.append(try parseExpression())
                tallest = max(tallest, treeHeight)
            }
            try expectOp("]")
            try built(height: tallest + 1, at: token.location)
            return .list(items)
        case .op("{"):
            advance()
            var pairs: [(key: Expr, value: Expr)] = []
            var tallest = 0
            while !current.isOp("}") {
                if !pairs.isEmpty { try expectOp(",") }
                if current.isOp("}") { break }
                let key = try parseExpression()
                tallest = max(tallest, treeHeight)
                try expectOp(":")
                pairs.append((key, try parseExpression()))
                tallest = max(tallest, treeHeight)
            }
            try expectOp("}")
            try built(height: tallest + 1, at: token.location)
            return .dict(pairs)
        default:
            throw fail("unexpected '\(token.description)'")
        }
    }
}
