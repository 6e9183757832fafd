/// A benchmark request the daemon answered unexpectedly (status and body excerpt).
enum BenchError: Error, CustomStringConvertible {
    case http(Int, String)
    var description: String {
        switch self { case let .http(status, text): return "HTTP \(status): \(text.prefix(300))" }
    }
}
