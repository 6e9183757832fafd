import Daemon
import Foundation

/// The model folder of the offline commands: `--model DIR`, else the same
/// default rule `lorad serve` uses (`Configuration.defaultModelPath`: the
/// bundled demo model from a checkout or an install).
public enum ModelLocator {
    public static func defaultModel() -> URL? {
        let path = Configuration().model
        return Configuration.isModelFolder(path) ? URL(fileURLWithPath: path) : nil
    }

    public static func resolve(_ path: String?) throws -> URL {
        if let path { return URL(fileURLWithPath: path) }
        guard let found = defaultModel() else {
            throw UsageError.missing("--model DIR (the bundled models/tiny-llama was not found)")
        }
        return found
    }
}
