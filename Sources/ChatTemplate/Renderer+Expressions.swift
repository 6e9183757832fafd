/// Expression evaluation (jinja2's compiled expression semantics).
extension Renderer {
    func eval(_ e: Expr, _ scope: Scope) throws -> Value {
        try charge()
        return try nested {
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
                var d = PyDict()
                for p in pairs {
                    let key = try eval(p.key, scope)
                    _ = try DictKey(key)
                    d.set(key, try eval(p.value, scope))
                }
                try reserve(bytes: d.count * 32)
                return .dict(d)
            case .getattr(let object, let name, let location):
                let o = try eval(object, scope)
                do { return try getattr(o, name) } catch let error as TemplateError { throw error.located(location) }
            case .getitem(let object, let index, let location):
                let o = try eval(object, scope)
                do {
                    if case .slice(let start, let stop, let step) = index {
                        return try slice(o, try start.map { try eval($0, scope) }, try stop.map { try eval($0, scope) },
                                         try step.map { try eval($0, scope) })
                    }
                    return try getitem(o, try eval(index, scope))
                } catch let error as TemplateError { throw error.located(location) }
            case .slice:
                throw TemplateError(.type, "a slice can only appear inside []")
            case .negate(let x, let location):
                do { return try Operators.negate(try eval(x, scope)) } catch let error as TemplateError { throw error.located(location) }
            case .plus(let x, let location):
                do { return try Operators.plus(try eval(x, scope)) } catch let error as TemplateError { throw error.located(location) }
            case .not(let x):
                return .bool(!(try eval(x, scope).isTruthy))
            case .binary(let op, let a, let b, let location):
                let l = try eval(a, scope), r = try eval(b, scope)
                do { return try Operators.binary(op, l, r, self) } catch let error as TemplateError { throw error.located(location) }
            case .and(let a, let b):
                let l = try eval(a, scope)
                return l.isTruthy ? try eval(b, scope) : l
            case .or(let a, let b):
                let l = try eval(a, scope)
                return l.isTruthy ? l : try eval(b, scope)
            case .compare(let first, let rest, let location):
                var left = try eval(first, scope)
                for (op, operand) in rest {
                    let right = try eval(operand, scope)
                    let holds: Bool
                    do { holds = try Operators.compare(op, left, right, self) } catch let error as TemplateError { throw error.located(location) }
                    if !holds { return .bool(false) }
                    left = right
                }
                return .bool(true)
            case .concat(let items, let location):
                var s = ""
                do {
                    for item in items {
                        s += try eval(item, scope).str()
                        try reserveString(bytes: s.utf8.count)
                    }
                } catch let error as TemplateError { throw error.located(location) }
                return .string(s)
            case .conditional(let test, let then, let otherwise, let location):
                if try eval(test, scope).isTruthy { return try eval(then, scope) }
                if let otherwise { return try eval(otherwise, scope) }
                return .missing("the inline if-expression on line \(location.line) evaluated to false and no else section was defined.")
            case .filter(let input, let f):
                let value = try input.map { try eval($0, scope) } ?? .missing("no filter input")
                return try applyFilter(f, to: value, scope)
            case .test(let x, let name, let args, let negated, let location):
                let value = try eval(x, scope)
                do {
                    let result = try applyTest(name, value, args, scope)
                    return .bool(result != negated)
                } catch let error as TemplateError { throw error.located(location) }
            case .call(let callee, let args, let location):
                do { return try call(callee, args, scope) } catch let error as TemplateError { throw error.located(location) }
            }
        }
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
