/// Assignment targets of `set`, `for` and `with`: names, tuples of targets,
/// and (in `set`) `namespace.attribute`.
extension Parser {
    mutating func parseAssignTarget(extraEnd: [String] = [], withNamespace: Bool = false) throws(TemplateError) -> AssignTarget {
        let token = current
        let e = try parseTuple(simplified: true, extraEnd: extraEnd, withNamespace: withNamespace)
        return try target(e, token)
    }

    private func target(_ e: Expr, _ token: Token) throws(TemplateError) -> AssignTarget {
        switch e {
        case .name(let n, _): return .name(n)
        case .tuple(let items):
            var targets: [AssignTarget] = []
            for item in items { targets.append(try target(item, token)) }
            return .tuple(targets)
        case .getattr(.name(let ns, _), let attribute, _): return .namespaceAttribute(ns, attribute)
        default: throw fail("can't assign to '\(Parser.describe(e))'", at: token)
        }
    }

    private static func describe(_ e: Expr) -> String {
        switch e {
        case .constant: return "const"
        case .list: return "list"
        case .dict: return "dict"
        case .call: return "call"
        case .getattr: return "getattr"
        case .getitem: return "getitem"
        default: return "expression"
        }
    }
}
