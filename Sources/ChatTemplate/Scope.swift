/// One level of variables while rendering. jinja2 gives every `for`
/// iteration, macro call, `with`, block `set`, `{% filter %}` and
/// `{% block %}` body a fresh level: a plain `set` inside it does not leak
/// out (nor into the next iteration), while `if` shares its enclosing
/// level. Lookups walk outward; macros keep the level they were defined in.
final class Scope: @unchecked Sendable {  // created and used by one render on one thread
    let parent: Scope?
    private var variables: [String: Value]

    init(parent: Scope?, variables: [String: Value] = [:]) {
        self.parent = parent
        self.variables = variables
    }

    func lookup(_ name: String) -> Value? {
        var scope: Scope? = self
        while let s = scope {
            if let v = s.variables[name] { return v }
            scope = s.parent
        }
        return nil
    }

    func set(_ name: String, _ value: Value) { variables[name] = value }
}
