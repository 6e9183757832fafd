/// A value while a template runs: Python's data model as jinja2 sees it.
///
/// Chat templates receive JSON (messages, tools) and compute with Python
/// semantics, so the cases mirror Python's types: `int` and `float` stay
/// apart (they print differently), `tuple` prints with parentheses, `dict`
/// keeps insertion order (Python 3.7+), and jinja2's `Undefined` is a value
/// that prints as nothing but fails on arithmetic or attribute access.
/// Everything but `Namespace` and `LoopState` is immutable, as
/// `ImmutableSandboxedEnvironment` forbids mutating lists and dicts.
indirect enum Value: Sendable {
    case undefined(Undefined)
    case none
    case bool(Bool)
    /// Python ints are unbounded; ours are 64-bit and overflow is an error.
    case int(Int)
    case float(Double)
    case string(String)
    case list([Value])
    case tuple([Value])
    case dict(PyDict)
    /// jinja2's `namespace()`: the one mutable object (`{% set ns.x = … %}`).
    case namespace(Namespace)
    case macro(Macro)
    /// A global function (`range`, `dict`, `namespace`, `raise_exception`, …).
    case builtin(Builtin)
    /// A method looked up on a value (`s.strip`), called later.
    case method(receiver: Value, name: String)
    /// The `loop` variable of a `for` block.
    case loop(LoopState)
    /// A one-pass iterator: what `select`, `map`, `unique`, `batch`, `items`
    /// and `reverse` return in jinja2 (always true, no length, consumed by use).
    case iterator(PyIterator)
    /// `dict.keys()`, `.values()`, `.items()`: live views that print as `dict_keys([…])`.
    case view(DictView)

    static let emptyString = Value.string("")

    /// A missing variable or attribute, with jinja2's hint for the error raised on use.
    static func missing(_ hint: String) -> Value { .undefined(Undefined(hint: hint)) }

    var isUndefined: Bool { if case .undefined = self { return true } else { return false } }
    var isNone: Bool { if case .none = self { return true } else { return false } }
    var isMethod: Bool { if case .method = self { return true } else { return false } }

    /// The string, if this is one.
    var stringValue: String? { if case .string(let s) = self { return s } else { return nil } }

    /// Python's `type(x).__name__`, for error messages.
    var typeName: String {
        switch self {
        case .undefined: return "Undefined"
        case .none: return "NoneType"
        case .bool: return "bool"
        case .int: return "int"
        case .float: return "float"
        case .string: return "str"
        case .list: return "list"
        case .tuple: return "tuple"
        case .dict: return "dict"
        case .namespace: return "Namespace"
        case .macro: return "Macro"
        case .builtin: return "builtin_function_or_method"
        case .method: return "builtin_function_or_method"
        case .loop: return "LoopContext"
        case .iterator(let it): return it.typeName
        case .view(let v): return v.typeName
        }
    }

    /// Python truthiness (`bool(x)`); `Undefined` is false.
    var isTruthy: Bool {
        switch self {
        case .undefined, .none: return false
        case .bool(let b): return b
        case .int(let i): return i != 0
        case .float(let d): return d != 0
        case .string(let s): return !s.isEmpty
        case .list(let a), .tuple(let a): return !a.isEmpty
        case .dict(let d): return !d.isEmpty
        case .view(let v): return !v.dict.isEmpty
        case .namespace, .macro, .builtin, .method, .loop, .iterator: return true
        }
    }

    /// Whether Python's `isinstance(x, numbers.Number)` holds (bool included, as in Python).
    var isNumber: Bool {
        switch self {
        case .bool, .int, .float: return true
        default: return false
        }
    }
}
