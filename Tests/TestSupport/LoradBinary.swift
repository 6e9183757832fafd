import Foundation

/// The `lorad` executable the end-to-end tests run: the one `swift build` /
/// `swift test` built next to the test bundle (`swift test` builds every
/// product of the package). The one place tests locate it.
public enum LoradBinary {
    /// `.build/<triple>/<config>/lorad`, found from the running test bundle
    /// (/proc/self/exe is …/.build/<triple>/<config>/lorad-PackageTests.xctest,
    /// or a file inside it), else `.build/debug/lorad` of the checkout.
    public static func url() throws -> URL {
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var dir = exe.deletingLastPathComponent()
        for _ in 0..<3 {
            let candidate = dir.appendingPathComponent("lorad")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        let fallback = Fixtures.repoRoot.appendingPathComponent(".build/debug/lorad")
        guard FileManager.default.isExecutableFile(atPath: fallback.path) else {
            throw LoradBinaryError.notFound(searchedFrom: exe.path)
        }
        return fallback
    }

    /// Runs `lorad args…` to completion (killed after `timeout` seconds, if given).
    @discardableResult
    public static func run(_ args: [String], environment: [String: String]? = nil,
                           timeout: Double? = nil) throws -> ExternalTool.Result {
        try ExternalTool.run(try url().path, args, environment: environment, timeout: timeout)
    }
}

public enum LoradBinaryError: Error, CustomStringConvertible {
    case notFound(searchedFrom: String)

    public var description: String {
        switch self {
        case .notFound(let from): return "no lorad binary next to \(from) (run `swift build` first)"
        }
    }
}
