import CLI
import Daemon
import Foundation

/// The in-process daemon the HTTP benchmarks run against: the synthesized
/// SmolLM-135M-shaped model in a temporary folder, a temporary registry,
/// 127.0.0.1:0.
struct BenchDaemon {
    let directory: URL
    let folder: URL
    let server: LoradServer
    let service: LoadedModel
    let client: BenchHTTPClient
    let address: String

    /// `adjust` sets further configuration keys (e.g. `chat_template`).
    static func start(label: String, threads: Int, adjust: (inout Configuration, URL) throws -> Void = { _, _ in }) throws -> BenchDaemon {
        let dir = BenchTemporaries.path("lorad-bench-\(label)")
        let folder = dir.appendingPathComponent("smollm-135m-synthetic")
        try SyntheticModel.writeServable(to: folder)

        var configuration = Configuration()
        configuration.model = folder.path
        configuration.registry = dir.appendingPathComponent("registry.sqlite").path
        configuration.listen = [ListenAddress(family: .ipv4, host: "127.0.0.1", port: 0)]
        configuration.maxBatch = 8
        configuration.threads = threads
        configuration.maxUploadMB = 1024
        try adjust(&configuration, dir)
        let server = try LoradServer(configuration: configuration, logger: Logger(level: .warning, format: .text))
        guard let address = try server.bind().first else { throw UsageError.missing("a listen address") }
        let service = try server.load()
        return BenchDaemon(directory: dir, folder: folder, server: server, service: service,
                           client: BenchHTTPClient(port: address.port), address: "\(address)")
    }

    /// Drains and stops the server, removes the temporary folder.
    func stop() {
        let done = DispatchSemaphore(value: 0)
        Task {
            await server.shutdown()
            done.signal()
        }
        done.wait()
        BenchTemporaries.remove(directory)
    }
}
