/// Expression evaluation (jinja2's compiled expression semantics). Each
/// kind of expression is its own function so that the frame of the
/// recursive dispatcher stays small.
extension Renderer {
    func eval(_ e: Expr, _ scope: Scope) throws -> Value {
        try charge()
        try enter()
        defer { leave() }
        switch e {
        case .constant(let v):
            return v
        case .name(let n, _):
            return lookup(n, scope)
        case .list(let items):
            return try made(list: try items.map { try eval($0, scope) })
        case .tuple(let items):
            try reserve(bytes: items.count * 16)
            return .tuple(try items.map { try eval($0, scope) })
        case .dict(let pairs):
            return try evalDict(pairs, scope)
        case .getattr(let object, let name, let location):
            return try evalGetattr(object, name, location, scope)
        case .getitem(let object, let index, let location):
            return try evalGetitem(object, index, location, scope)
        case .slice:
            throw TemplateError(.type, "a slice can only appear inside []")
        case .negate(let x, let location):
            return try evalUnary(x, location, scope, Operators.negate)
        case .plus(let x, let location):
            return try evalUnary(x, location, scope, Operators.plus)
        case .not(let x):
            return .bool(!(try eval(x, scope).isTruthy))
        case .binary(let op, let a, let b, let location):
            return try evalBinary(op, a, b, location, scope)
        case .and(let a, let b):
            let l = try eval(a, scope)
            return l.isTruthy ? try eval(b, scope) : l
        case .or(let a, let b):
            let l = try eval(a, scope)
            return l.isTruthy ? l : try eval(b, scope)
        case .compare(let first, let rest, let location):
            return try evalCompare(first, rest, location, scope)
        case .concat(let items, let location):
            return try evalConcat(items, location, scope)
        case .conditional(let test, let then, let otherwise, let location):
            if try eval(test, scope).isTruthy { return try eval(then, scope) }
            if let otherwise { return try eval(otherwise, scope) }
            return .missing("the inline if-expression on line \(location.line) evaluated to false and no else section was defined.")
        case .filter(let input, let f):
            let value = try input.map { try eval($0, scope) } ?? .missing("no filter input")
            return try applyFilter(f, to: value, scope)
        case .test(let x, let name, let args, let negated, let location):
            return try evalTest(x, name, args, negated, location, scope)
        case .call(let callee, let args, let location):
            return try evalCall(callee, args, location, scope)
        }
    }

    @inline(never)
    private func evalDict(_ pairs: [(key: Expr, value: Expr)], _ scope: Scope) throws -> Value {
        var d = PyDict()
        for p in pairs {
            let key = try eval(p.key, scope)
            _ = try DictKey(key)
            d.set(key, try eval(p.value, scope))
        }
        try reserve(bytes: d.count * 32)
        return .dict(d)
    }

    @inline(never)
    private func evalGetattr(_ object: Expr, _ name: String, _ location: SourceLocation, _ scope: Scope) throws -> Value {
        let o = try eval(object, scope)
        do { return try getattr(o, name) } catch let error as TemplateError { throw error.located(location) }
    }

    @inline(never)
    private func evalGetitem(_ object: Expr, _ index: Expr, _ location: SourceLocation, _ scope: Scope) throws -> Value {
        let o = try eval(object, scope)
        do {
            if case .slice(let start, let stop, let step) = index {
                return try slice(o, try start.map { try eval($0, scope) }, try stop.map { try eval($0, scope) },
                                 try step.map { try eval($0, scope) })
            }
            return try getitem(o, try eval(index, scope))
        } catch let error as TemplateError { throw error.located(location) }
    }

    @inline(never)
    private func evalUnary(_ x: Expr, _ location: SourceLocation, _ scope: Scope, _ op: (Value) throws -> Value) throws -> Value {
        let v = try eval(x, scope)
        do { return try op(v) } catch let error as TemplateError { throw error.located(location) }
    }

    @inline(never)
    private func evalBinary(_ op: BinaryOperator, _ a: Expr, _ b: Expr, _ location: SourceLocation, _ scope: Scope) throws -> Value {
        let l = try eval(a, scope), r = try eval(b, scope)
        do { return try Operators.binary(op, l, r, self) } catch let error as TemplateError { throw error.located(location) }
    }

    @inline(never)
    private func evalCompare(_ first: Expr, _ rest: [(op: CompareOperator, operand: Expr)], _ location: SourceLocation,
                             _ scope: Scope) throws -> Value {
        var left = try eval(first, scope)
        for (op, operand) in rest {
            let right = try eval(operand, scope)
            let holds: Bool
            do { holds = try Operators.compare(op, left, right, self) } catch let error as TemplateError { throw error.located(location) }
            if !holds { return .bool(false) }
            left = right
        }
        return .bool(true)
    }

    @inline(never)
    private func evalConcat(_ items: [Expr], _ location: SourceLocation, _ scope: Scope) throws -> Value {
        var s = ""
        do {
            for item in items {
                s += try eval(item, scope).str()
                try reserveString(bytes: s.utf8.count)
            }
        } catch let error as TemplateError { throw error.located(location) }
        return .string(s)
    }

    @inline(never)
    private func evalTest(_ x: Expr, _ name: String, _ args: Arguments, _ negated: Bool, _ location: SourceLocation,
                          _ scope: Scope) throws -> Value {
        let value = try eval(x, scope)
        do {
            let result = try applyTest(name, value, args, scope)
            return .bool(result != negated)
        } catch let error as TemplateError { throw error.located(location) }
    }

    @inline(never)
    private func evalCall(_ callee: Expr, _ args: Arguments, _ location: SourceLocation, _ scope: Scope) throws -> Value {
        do { return try call(callee, args, scope) } catch let error as TemplateError { throw error.located(location) }
    }

    /// Evaluates call arguments, expanding `*args` and `**kwargs`.
    func evaluate(_ args: Arguments, _ scope: Scope) throws -> CallArguments {
        var result = CallArguments(positional: try args.positional.map { try eval($0, scope) })
        if let star = args.star { result.positional += try iterate(try eval(star, scope)) }
        for k in args.keyword { result.keyword.append((k.name, try eval(k.value, scope))) }
        if let starStar = args.starStar {
            guard case .dict(let d) = try eval(starStar, scope) else {
                throw TemplateError(.type, "argument after ** must be a mapping")
            }
            for (k, v) in d.items {
                guard case .string(let name) = k else { throw TemplateError(.type, "keywords must be strings") }
                result.keyword.append((name, v))
            }
        }
        return result
    }
}
