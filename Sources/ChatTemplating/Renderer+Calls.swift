/// Calls: macros (jinja2's `Macro.__call__` argument rules), the globals,
/// methods on values, and `loop(items)` in recursive loops.
extension Renderer {
    func call(_ callee: Expr, _ args: Arguments, _ scope: Scope, extraKeyword: (String, Value)? = nil) throws -> Value {
        let function = try eval(callee, scope)
        var evaluated = try evaluate(args, scope)
        if let extraKeyword { evaluated.keyword.append((extraKeyword.0, extraKeyword.1)) }
        return try callValue(function, evaluated)
    }

    func callValue(_ function: Value, _ args: CallArguments) throws -> Value {
        switch function {
        case .undefined(let u):
            throw u.error
        case .macro(let m):
            return try invoke(m, args)
        case .builtin(let b):
            return try callBuiltin(b, args)
        case .method(let receiver, let name):
            return try Methods.call(receiver, name, args, self)
        case .loop(let loop):
            guard let recursion = loop.recursion else {
                throw TemplateError(.type, "The loop must have the 'recursive' marker to be called recursively.")
            }
            guard args.positional.count == 1, args.keyword.isEmpty else {
                throw TemplateError(.type, "loop() takes exactly one argument (the items)")
            }
            var buffer = ""
            try asCall {
                try runLoop(recursion.loop, recursion.scope, &buffer, iterable: args.positional[0], depth0: loop.depth0 + 1)
            }
            return .string(buffer)
        default:
            throw TemplateError(.type, "'\(function.typeName)' object is not callable")
        }
    }

    /// Binds arguments to the macro's parameters in a fresh scope under the
    /// macro's defining scope and renders its body. Missing parameters
    /// without default are Undefined; extra positional arguments go to
    /// `varargs` and extra keywords to `kwargs` when the body uses them, and
    /// are a `TypeError` otherwise.
    func invoke(_ macro: Macro, _ args: CallArguments) throws -> Value {
        let d = macro.definition
        let scope = Scope(parent: macro.closure)
        try checkNesting(args)
        var keywords = args.keyword
        for (i, name) in d.parameters.enumerated() {
            let value: Value
            if i < args.positional.count {
                value = args.positional[i]
            } else if let k = keywords.firstIndex(where: { $0.name == name }) {
                value = keywords.remove(at: k).value
            } else if let defaultValue = d.defaults[i] {
                value = try eval(defaultValue, scope)
                try checkNesting(value)
            } else {
                value = .missing("parameter '\(name)' was not provided")
            }
            scope.set(name, value)
        }
        if d.usesCaller && !d.parameters.contains("caller") {
            if let k = keywords.firstIndex(where: { $0.name == "caller" }) {
                scope.set("caller", keywords.remove(at: k).value)
            } else {
                scope.set("caller", .missing("No caller defined"))
            }
        }
        if d.catchesKwargs {
            var kwargs = PyDict()
            for (k, v) in keywords { kwargs.set(.string(k), v) }
            scope.set("kwargs", .dict(kwargs))
        } else if let extra = keywords.first {
            throw TemplateError(.type, "macro '\(d.name)' takes no keyword argument '\(extra.name)'")
        }
        if d.catchesVarargs {
            scope.set("varargs", .tuple(Array(args.positional.dropFirst(d.parameters.count))))
        } else if args.positional.count > d.parameters.count {
            throw TemplateError(.type, "macro '\(d.name)' takes not more than \(d.parameters.count) argument(s)")
        }
        return .string(try asCall { try capture(d.body, scope) })
    }
}
