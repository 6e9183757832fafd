/// The global functions a chat template can call: jinja2's `range`, `dict`,
/// `namespace` and transformers' `raise_exception`, `strftime_now`.
enum Builtin: String, Sendable, Equatable {
    case range
    case dict
    case namespace
    case raiseException = "raise_exception"
    case strftimeNow = "strftime_now"

    static func named(_ name: String) -> Builtin? { Builtin(rawValue: name) }

    /// Python's repr of the object.
    var reprText: String {
        switch self {
        case .dict: return "<class 'dict'>"
        case .namespace: return "<class 'jinja2.utils.Namespace'>"
        case .range: return "<class 'range'>"
        case .raiseException, .strftimeNow: return "<function \(rawValue)>"
        }
    }
}
