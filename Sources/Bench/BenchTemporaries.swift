import Foundation
import Synchronization

/// The files and folders lorad-bench creates under the temporary directory
/// (synthetic models, daemon state, llama-bench output), removed when their
/// bench is done and also when SIGINT or SIGTERM ends the run early: a
/// killed run used to leave its synthetic model behind (538 MB for the
/// SmolLM-135M shape in F32, one per run).
enum BenchTemporaries {
    private struct State {
        var paths: Set<URL> = []
        /// The signal watchers, made when the first path is handed out (so
        /// commands that create none, like the HTTP bench with its own
        /// SIGINT handling, are left alone).
        var watchers: [DispatchSourceSignal] = []
    }

    private static let state = Mutex(State())

    /// A fresh path under the temporary directory — `prefix`, a UUID, then
    /// `suffix` — that is removed if the run is interrupted.
    static func path(_ prefix: String, suffix: String = "") -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)\(suffix)")
        state.withLock { s in
            s.paths.insert(url)
            if s.watchers.isEmpty { s.watchers = [SIGINT, SIGTERM].map(watch) }
        }
        return url
    }

    /// Removes `url` (and what it holds) now.
    static func remove(_ url: URL) {
        _ = state.withLock { $0.paths.remove(url) }
        try? FileManager.default.removeItem(at: url)
    }

    /// On `number`: remove every path still handed out, then end the process
    /// by the signal's default action. Not `exit`: it runs the libraries'
    /// destructors, and OpenBLAS's joins its worker threads, which the main
    /// thread goes on handing sgemm work — a run interrupted during a
    /// prefill kept running, its model files already deleted.
    private static func watch(_ number: Int32) -> DispatchSourceSignal {
        signal(number, SIG_IGN)   // the dispatch source receives it instead
        let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
        source.setEventHandler {
            for url in state.withLock({ $0.paths }) { try? FileManager.default.removeItem(at: url) }
            fflush(nil)   // every output stream: what was printed so far stays
            signal(number, SIG_DFL)
            raise(number)
            _exit(128 + number)   // only if this thread had the signal blocked
        }
        source.resume()
        return source
    }
}
