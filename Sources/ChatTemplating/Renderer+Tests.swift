/// jinja2's tests (`x is name(args)`), from `jinja2.tests`.
extension Renderer {
    func applyTest(_ name: String, _ value: Value, _ args: Arguments, _ scope: Scope) throws -> Bool {
        try runTest(name, value, try evaluate(args, scope))
    }

    /// Whether `name` is a known test (for `select`, `reject` and the `test` test).
    static func hasTest(_ name: String) -> Bool { testNames.contains(name) }

    private static let testNames: Set<String> = [
        "boolean", "callable", "defined", "divisibleby", "eq", "equalto", "==", "escaped", "even", "false", "filter",
        "float", "ge", ">=", "gt", "greaterthan", ">", "in", "integer", "iterable", "le", "<=", "lower", "lt",
        "lessthan", "<", "mapping", "ne", "!=", "none", "number", "odd", "sameas", "sequence", "string", "test",
        "true", "undefined", "upper",
    ]

    func runTest(_ name: String, _ value: Value, _ args: CallArguments) throws -> Bool {
        func argument() throws -> Value {
            let slots = try args.bind(name, ["other"], required: 1)
            return slots[0] ?? .none
        }
        func compare(_ op: CompareOperator) throws -> Bool { try Operators.compare(op, value, try argument(), self) }
        switch name {
        case "defined": return !value.isUndefined
        case "undefined": return value.isUndefined
        case "none": return value.isNone
        case "boolean": if case .bool = value { return true } else { return false }
        case "true": if case .bool(true) = value { return true } else { return false }
        case "false": if case .bool(false) = value { return true } else { return false }
        case "integer": if case .int = value { return true } else { return false }
        case "float": if case .float = value { return true } else { return false }
        case "number": return value.isNumber
        case "string": return value.stringValue != nil
        case "mapping": if case .dict = value { return true } else { return false }
        case "iterable":
            switch value {
            case .list, .tuple, .dict, .string, .undefined, .loop, .iterator, .view: return true
            default: return false
            }
        case "sequence":
            switch value {
            case .list, .tuple, .dict, .string, .undefined: return true
            default: return false
            }
        case "callable":
            switch value {
            case .macro, .builtin, .method, .loop, .undefined: return true
            default: return false
            }
        case "odd", "even":
            try args.none(name)
            // jinja2: value % 2 == 1, value % 2 == 0 — both false for inf and NaN (x % 2 is NaN).
            let remainder = try Operators.binary(.modulo, value, .int(2), self)
            return try Value.pyEqual(remainder, .int(name == "odd" ? 1 : 0))
        case "divisibleby":
            let slots = try args.bind(name, ["num"], required: 1)
            return try Value.pyEqual(try Operators.binary(.modulo, value, slots[0] ?? .none, self), .int(0))
        case "eq", "equalto", "==": return try compare(.equal)
        case "ne", "!=": return try compare(.notEqual)
        case "lt", "lessthan", "<": return try compare(.less)
        case "le", "<=": return try compare(.lessOrEqual)
        case "gt", "greaterthan", ">": return try compare(.greater)
        case "ge", ">=": return try compare(.greaterOrEqual)
        case "in":
            let slots = try args.bind(name, ["seq"], required: 1)
            return try Value.pyContains(slots[0] ?? .none, value)
        case "sameas":
            let other = try argument()
            switch (value, other) {
            case (.none, .none): return true
            case let (.bool(a), .bool(b)): return a == b
            case let (.namespace(a), .namespace(b)): return a === b
            case let (.macro(a), .macro(b)): return a === b
            default: return false
            }
        case "lower", "upper":
            // jinja2 tests `str(value)`, so `{'a': 1} is lower` holds.
            let s = try value.str()
            return name == "lower" ? Methods.isLower(s) : Methods.isUpper(s)
        case "escaped": return false
        case "filter", "test":
            // The value is the name asked about: `'upper' is filter`.
            try args.none(name)
            guard case .string(let n) = value else { return false }
            return name == "filter" ? Renderer.hasFilter(n) : Renderer.hasTest(n)
        default:
            throw TemplateError(.type, "No test named '\(name)'.")
        }
    }
}
