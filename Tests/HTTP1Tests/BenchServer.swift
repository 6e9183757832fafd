import Foundation
import HTTP1
import Testing

/// Not a test: a server for `scripts/bench-http.sh`, enabled only when
/// `LORAD_HTTP_BENCH_SECONDS` is set. It serves `GET /` → `Hello, World!`
/// (the same fixed body nginx returns in the comparison) on
/// `LORAD_HTTP_BENCH_ADDR` (default 127.0.0.1:18080) for that many seconds.
@Suite struct BenchServer {
    static let seconds = ProcessInfo.processInfo.environment["LORAD_HTTP_BENCH_SECONDS"].flatMap { Int($0) }

    @Test(.enabled(if: seconds != nil))
    func serveTrivialRouteForBenchmark() async throws {
        let server = HTTPServer()
        let body = Array("Hello, World!".utf8)
        server.route(.GET, "/") { _, res in
            try await res.send(.ok, headers: ["Content-Type": "text/plain"], body: body)
        }
        let address = try server.listen(ProcessInfo.processInfo.environment["LORAD_HTTP_BENCH_ADDR"] ?? "127.0.0.1:18080")
        print("lorad HTTP1 bench server listening on \(address)")
        try await Task.sleep(for: .seconds(Self.seconds ?? 0))
        await server.shutdown(gracePeriod: .seconds(1))
    }
}
