/// What a call site may pass as a field's value: text as it is, integers
/// as numbers (`["bytes": data.count]`), or a `LogValue` made explicitly.
public protocol LogValueConvertible {
    var logValue: LogValue { get }
}

extension LogValue: LogValueConvertible {
    public var logValue: LogValue { self }
}

extension String: LogValueConvertible {
    public var logValue: LogValue { LogValue(self) }
}

extension Int: LogValueConvertible {
    public var logValue: LogValue { LogValue(self) }
}

extension Int64: LogValueConvertible {
    public var logValue: LogValue { LogValue(self) }
}

extension UInt64: LogValueConvertible {
    public var logValue: LogValue { LogValue(self) }
}
