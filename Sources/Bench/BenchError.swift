/// Why a benchmark could not run: a request the daemon answered unexpectedly
/// (status and body excerpt), or another step that failed (what and why).
enum BenchError: Error, CustomStringConvertible {
    case http(Int, String)
    case failed(String)
    var description: String {
        switch self {
        case let .http(status, text): return "HTTP \(status): \(text.prefix(300))"
        case let .failed(reason): return reason
        }
    }
}
