import OrderedJSON

/// A log field's value as written: text, or a number. JSON lines write a
/// number bare (`"status":200`, not `"status":"200"`) so a log store can
/// compare and sum it; logfmt and the journal write both alike.
public struct LogValue: Sendable, Equatable, ExpressibleByStringLiteral, ExpressibleByStringInterpolation {
    public let text: String
    /// `text` is a JSON number (RFC 8259 §6).
    public let isNumber: Bool

    public init(_ text: String) {
        self.text = text
        isNumber = false
    }

    public init(stringLiteral value: String) { self.init(value) }
    public init(stringInterpolation: DefaultStringInterpolation) { self.init(String(stringInterpolation: stringInterpolation)) }

    public init<T: BinaryInteger>(_ value: T) { self.init(number: String(value)) }

    /// `value` with `decimals` digits after the point, without Foundation's
    /// locale-dependent formatting; a value that is not finite, or too large
    /// to round this way, is written as text (JSON has no NaN or infinity).
    public init(_ value: Double, decimals: Int) {
        let scale = (0..<max(0, decimals)).reduce(1.0) { p, _ in p * 10 }
        let scaled = (value * scale).rounded()
        guard scaled.isFinite, abs(scaled) < 9e15 else {
            self.init(String(value))
            return
        }
        let units = Int64(scaled), divisor = Int64(scale)
        let whole = String(abs(units) / divisor), sign = units < 0 ? "-" : ""
        var text = sign + whole
        if decimals > 0 {
            let fraction = String(abs(units) % divisor)
            text += "." + String(repeating: "0", count: decimals - fraction.count) + fraction
        }
        self.init(number: text)
    }

    /// A number another module rendered as text (`String(Float)`): written
    /// bare when it is in JSON's number grammar (RFC 8259 §6), else as text.
    public init(numeric text: String) {
        self.text = text
        isNumber = Self.isJSONNumber(text)
    }

    /// The project's strict JSON parser decides (whitespace, which it
    /// would skip, is no part of a number).
    static func isJSONNumber(_ text: String) -> Bool {
        guard !text.contains(where: \.isWhitespace), let value = try? JSONValue.parse(Array(text.utf8)) else { return false }
        switch value {
        case .integer, .float: return true
        default: return false
        }
    }

    private init(number text: String) {
        self.text = text
        isNumber = true
    }
}
