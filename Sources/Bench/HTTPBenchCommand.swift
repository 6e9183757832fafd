import CLI
import Dispatch
import Foundation
import HTTP1

/// `lorad-bench http`: the HTTP1 server alone on a trivial route, for
/// `scripts/bench-http.sh` (wrk against it and against nginx in one run).
enum HTTPBenchCommand {
    static let usage = """
    usage: lorad-bench http [--listen ADDR] [--seconds N]
      --listen ADDR   where to listen (default: 127.0.0.1:18080)
      --seconds N     stop after N seconds (default: run until SIGINT/SIGTERM)
    GET / answers 200 "Hello, World!" (text/plain), as the nginx side does.
    """

    static func run(_ args: [String]) throws {
        let a = try Arguments(args, valued: ["listen", "seconds"])
        let seconds = try a.int("seconds", default: 0, range: 0...86_400)
        let server = HTTPServer()
        let body = Array("Hello, World!".utf8)
        server.route(.GET, "/") { _, response in
            try await response.send(.ok, headers: ["Content-Type": "text/plain"], body: body)
        }
        let address = try server.listen(a.value("listen") ?? "127.0.0.1:18080")
        FileHandleOutput.stdout("lorad-bench: http listening on http://\(address)\n")
        let stop = DispatchSemaphore(value: 0)
        signal(SIGINT, SIG_IGN)
        signal(SIGTERM, SIG_IGN)
        let sources = [SIGINT, SIGTERM].map { sig -> DispatchSourceSignal in
            let s = DispatchSource.makeSignalSource(signal: sig)
            s.setEventHandler { stop.signal() }
            s.resume()
            return s
        }
        if seconds > 0 {
            DispatchQueue.global().asyncAfter(deadline: .now() + .seconds(seconds)) { stop.signal() }
        }
        stop.wait()
        sources.forEach { $0.cancel() }
        let done = DispatchSemaphore(value: 0)
        Task {
            await server.shutdown(gracePeriod: .seconds(1))
            done.signal()
        }
        done.wait()
    }
}
