import FileReading
import Foundation

extension Configuration {
    /// Reads and applies a configuration file over the defaults.
    ///
    /// - Throws: `missingFile` when it cannot be read (missing, not a regular
    ///   file, larger than `FileSizeLimit.configurationFile`, not UTF-8:
    ///   `RegularFile`), or the first syntax,
    ///   unknown-key, bad-value or duplicate-key error with its line number.
    public static func load(file path: String,
                            defaults: Configuration = Configuration()) throws(ConfigError) -> Configuration {
        let text: String
        do { text = try RegularFile.readText(path, limit: .configurationFile) } catch {
            throw .missingFile(path: path, reason: error.reason)
        }
        var configuration = defaults
        try configuration.apply(entries: ConfigFile.parse(text: text, file: path), file: path)
        return configuration
    }

    /// What `lorad serve` and `lorad check-config` run: the defaults, then
    /// `file` when given (`--config`), then the command-line `overrides`.
    /// Any error stops startup before anything is bound.
    public static func resolve(file: String?, overrides: [String: [String]] = [:],
                               defaults: Configuration = Configuration()) throws(ConfigError) -> Configuration {
        var configuration = defaults
        if let file { configuration = try load(file: file, defaults: defaults) }
        try configuration.apply(overrides: overrides)
        try configuration.checkListenersApart()
        return configuration
    }

    /// Two listeners on one address (or a wildcard and an address) on one
    /// port cannot both be bound; across `listen` and `trusted_listen` it
    /// would also leave unclear whether that port asks for tokens. Named
    /// here, before anything is bound, rather than as bind's EADDRINUSE.
    func checkListenersApart() throws(ConfigError) {
        let all = listen.map { ("listen", $0) } + trustedListen.map { ("trusted_listen", $0) }
        for (i, first) in all.enumerated() {
            for second in all[(i + 1)...] where first.1.overlaps(second.1) {
                throw .clashingListeners(first: "\(first.0) \(first.1)", second: "\(second.0) \(second.1)")
            }
        }
    }

    /// Applies parsed file entries (see `ConfigFile.parse`).
    public mutating func apply(entries: [ConfigFile.Entry], file: String) throws(ConfigError) {
        for entry in entries {
            guard let key = ConfigKey(rawValue: entry.key) else {
                throw .unknownKey(file: file, line: entry.line, key: entry.key)
            }
            guard key.set(entry.value, in: &self) else {
                throw .badValue(file: file, line: entry.line, key: entry.key, value: entry.value, expected: key.expected)
            }
        }
    }

    /// Every flag `apply(overrides:)` accepts (without `--`), for the
    /// command-line parser: `listen`, `model`, …, `max-batch`, `log-format`.
    public static var flagNames: Set<String> { Set(ConfigKey.allCases.map(\.flagName)) }

    /// Applies command-line flags over the file: keys are flag names
    /// (`max-batch`), values in command-line order. For `listen` every value
    /// (each itself possibly a comma list) together *replaces* the file's
    /// list; for the other keys the last value wins.
    public mutating func apply(overrides: [String: [String]]) throws(ConfigError) {
        // Sorted so the error reported for several bad flags is deterministic.
        for flag in overrides.keys.sorted() {
            guard let values = overrides[flag], let last = values.last else { continue }
            guard let key = ConfigKey(flagName: flag) else { throw .unknownFlag(flag: flag) }
            let value = key == .listen || key == .trustedListen ? values.joined(separator: ",") : last
            guard key.set(value, in: &self) else {
                throw .badFlagValue(flag: flag, value: value, expected: key.expected)
            }
        }
    }
}
