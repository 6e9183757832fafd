/// The `tool_call_parser` configuration key: `auto` chooses from the chat
/// template's text (`ToolCallFormat.detect`), `none` never reads tool calls
/// out of the output.
public enum ToolCallParserSetting: Sendable, Equatable {
    case auto
    case none
    case format(ToolCallFormat)

    public init?(rawValue: String) {
        switch rawValue {
        case "auto": self = .auto
        case "none": self = .none
        default:
            guard let f = ToolCallFormat(rawValue: rawValue) else { return nil }
            self = .format(f)
        }
    }

    public var rawValue: String {
        switch self {
        case .auto: return "auto"
        case .none: return "none"
        case .format(let f): return f.rawValue
        }
    }

    static var spellings: [String] { ["auto"] + ToolCallFormat.allCases.map(\.rawValue) + ["none"] }

    /// The format for a template set's sources.
    public func format(for sources: [String]) -> ToolCallFormat? {
        switch self {
        case .auto: return ToolCallFormat.detect(in: sources)
        case .none: return nil
        case .format(let f): return f
        }
    }
}
