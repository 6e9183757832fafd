/// One level of variables while rendering. jinja2 gives every `for`
/// iteration, macro call, `with`, block `set`, `{% filter %}` and
/// `{% block %}` body a fresh level: a plain `set` inside it does not leak
/// out (nor into the next iteration), while `if` shares its enclosing
/// level. Lookups walk outward; macros keep the level they were defined in.
///
/// A level holds a handful of names (a loop's target and `loop`, a macro's
/// parameters), so a short list searched in order beats hashing every lookup.
final class Scope: @unchecked Sendable {  // created and used by one render on one thread
    let parent: Scope?
    private var names: [String] = []
    private var values: [Value] = []

    init(parent: Scope?) {
        self.parent = parent
    }

    func lookup(_ name: String) -> Value? {
        var scope: Scope? = self
        while let s = scope {
            if let i = s.names.firstIndex(of: name) { return s.values[i] }
            scope = s.parent
        }
        return nil
    }

    func set(_ name: String, _ value: Value) {
        if let i = names.firstIndex(of: name) {
            values[i] = value
        } else {
            names.append(name)
            values.append(value)
        }
    }
}
