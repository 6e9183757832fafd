/// A macro bound at run time: its definition and the scope it was defined
/// in, which its body reads through (jinja2 macros see the variables of the
/// enclosing template as they are when the macro is called).
final class Macro: @unchecked Sendable {  // holds a Scope, which only the render that created it uses
    let definition: MacroDefinition
    let closure: Scope

    init(_ definition: MacroDefinition, closure: Scope) {
        self.definition = definition
        self.closure = closure
    }

    var name: String { definition.name }
}
