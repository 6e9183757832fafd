/// One lexical token of a template (jinja2's lexer tokens).
struct Token: Sendable, Equatable {
    enum Kind: Sendable, Equatable {
        /// Template text outside tags, already whitespace-controlled.
        case data(String)
        case variableBegin, variableEnd, blockBegin, blockEnd
        case name(String)
        case string(String)
        case integer(Int)
        case float(Double)
        /// An operator or punctuation: `+ - * / // % ** ~ == != < <= > >= = . : | , ; ( ) [ ] { }`.
        case op(String)
        case eof
    }

    var kind: Kind
    var location: SourceLocation

    func isOp(_ s: String) -> Bool { if case .op(let o) = kind { return o == s } else { return false } }
    func isName(_ s: String) -> Bool { if case .name(let n) = kind { return n == s } else { return false } }

    var name: String? { if case .name(let n) = kind { return n } else { return nil } }

    /// How jinja2 describes the token in syntax errors.
    var description: String {
        switch kind {
        case .data: return "template data"
        case .variableBegin: return "begin of print statement"
        case .variableEnd: return "end of print statement"
        case .blockBegin: return "begin of statement block"
        case .blockEnd: return "end of statement block"
        case .name(let n): return n
        case .string: return "string"
        case .integer: return "integer"
        case .float: return "float"
        case .op(let o): return o
        case .eof: return "end of template"
        }
    }
}
