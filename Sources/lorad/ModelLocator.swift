import Foundation

/// Where the bundled demo model is when no `--model` is given: the first of
/// `./models/tiny-llama` (running from a checkout), `<executable>/../../models/tiny-llama`
/// (`.build/<config>/lorad` inside a checkout) and `/usr/local/share/lorad/models/tiny-llama`
/// (installed).
enum ModelLocator {
    static func defaultModel() -> URL? {
        let fm = FileManager.default
        var candidates = [URL(fileURLWithPath: fm.currentDirectoryPath).appendingPathComponent("models/tiny-llama")]
        let exe = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        candidates.append(exe.deletingLastPathComponent().appendingPathComponent("../../models/tiny-llama").standardized)
        candidates.append(exe.deletingLastPathComponent().appendingPathComponent("../../../models/tiny-llama").standardized)
        candidates.append(URL(fileURLWithPath: "/usr/local/share/lorad/models/tiny-llama"))
        return candidates.first { fm.fileExists(atPath: $0.appendingPathComponent("config.json").path) }
    }

    static func resolve(_ path: String?) throws -> URL {
        if let path { return URL(fileURLWithPath: path) }
        guard let found = defaultModel() else {
            throw UsageError.missing("--model DIR (the bundled models/tiny-llama was not found)")
        }
        return found
    }
}
