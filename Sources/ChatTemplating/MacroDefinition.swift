/// A parsed `{% macro name(params) %}` (or the caller of a `{% call %}`
/// block): shared by every render; the value bound at run time is a `Macro`.
final class MacroDefinition: Sendable {
    let name: String
    let parameters: [String]
    /// Default expressions, one slot per parameter (nil: no default).
    let defaults: [Expr?]
    let body: [Node]
    /// Whether the body reads `varargs` / `kwargs` / `caller`, which lets
    /// the macro accept extra positional / keyword arguments / a call block
    /// (jinja2 decides this the same way, from the names the body uses).
    let catchesVarargs: Bool
    let catchesKwargs: Bool
    let usesCaller: Bool
    let location: SourceLocation

    init(name: String, parameters: [String], defaults: [Expr?], body: [Node], location: SourceLocation) throws(TemplateError) {
        self.name = name
        self.parameters = parameters
        self.defaults = defaults
        self.body = body
        self.location = location
        var names = NameCollector()
        try names.visit(body)
        catchesVarargs = names.loaded.contains("varargs")
        catchesKwargs = names.loaded.contains("kwargs")
        usesCaller = names.loaded.contains("caller")
    }
}
