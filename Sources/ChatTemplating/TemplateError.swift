/// Why a template did not parse or render. `kind` says which class of
/// failure (jinja2's exception classes, plus the sandbox's limits);
/// `line`/`column` point into the template source where known (1-based).
///
/// A template's own `raise_exception(msg)` is `.raised` and its
/// `description` is exactly `msg`, so callers can show it verbatim.
public struct TemplateError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The template text is not valid Jinja (`TemplateSyntaxError`).
        case syntax
        /// The template called `raise_exception(msg)` (transformers raises `TemplateError(msg)`).
        case raised
        /// An undefined value was used (`UndefinedError`).
        case undefined
        /// An operation got a value of the wrong type or the wrong arguments (`TypeError`).
        case type
        /// An operation got a value it cannot handle: division by zero, a bad
        /// number, integer overflow (`ValueError`, `ZeroDivisionError`, `OverflowError`).
        case value
        /// The sandbox refused an operation (`SecurityError`), e.g. calling `list.append`.
        case security
        /// A `TemplateLimits` bound was reached.
        case limit(TemplateLimits.Limit)
    }

    public let kind: Kind
    public let message: String
    public internal(set) var line: Int?
    public internal(set) var column: Int?

    init(_ kind: Kind, _ message: String, line: Int? = nil, column: Int? = nil) {
        self.kind = kind
        self.message = message
        self.line = line
        self.column = column
    }

    init(_ kind: Kind, _ message: String, at location: SourceLocation) {
        self.init(kind, message, line: location.line, column: location.column)
    }

    /// The message alone for `.raised`; otherwise the jinja2 exception name,
    /// position and message.
    public var description: String {
        if kind == .raised { return message }
        var where_ = ""
        if let line { where_ = "line \(line)" + (column.map { ", column \($0)" } ?? "") + ": " }
        return where_ + kind.name + ": " + message
    }

    /// Stamps a position on an error raised without one.
    func located(_ location: SourceLocation) -> TemplateError {
        guard line == nil else { return self }
        var e = self
        e.line = location.line
        e.column = location.column
        return e
    }

    static func tooDeep() -> TemplateError {
        TemplateError(.limit(.valueNesting), "value nested deeper than \(Value.maxNesting) levels")
    }
}

extension TemplateError.Kind {
    /// The jinja2/Python exception class this kind corresponds to.
    public var name: String {
        switch self {
        case .syntax: return "TemplateSyntaxError"
        case .raised: return "TemplateError"
        case .undefined: return "UndefinedError"
        case .type: return "TypeError"
        case .value: return "ValueError"
        case .security: return "SecurityError"
        case .limit: return "LimitExceeded"
        }
    }
}
