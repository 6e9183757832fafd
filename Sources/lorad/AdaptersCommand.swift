import CLI
import Daemon
import Foundation
import Registry

/// `lorad adapters list`: the registry's adapters, read offline (SQLite WAL
/// lets this run next to a serving daemon). The registry is opened read-only
/// (`AdapterRegistry.Options.readOnly`): a file that is not a registry of
/// this version is refused and left as it was, never made into one.
enum AdaptersCommand {
    static let usage = """
    usage: lorad adapters list [--registry FILE] [--config FILE] [--json]
      --registry FILE   the SQLite registry (default: as `lorad serve` would use)
      --config FILE     take the registry path from this configuration file
      --json            one JSON object per line instead of a table
    """

    static func run(_ args: [String]) throws {
        let a = try Arguments(args, valued: ["registry", "config"], booleans: ["json"])
        guard a.positional == ["list"] else { throw UsageError.missing("the subcommand `list`") }
        var configuration = Configuration()
        if let file = a.value("config") { configuration = try Configuration.load(file: file) }
        let path = a.value("registry") ?? configuration.registry
        guard FileManager.default.fileExists(atPath: path) else {
            throw UsageError.badValue(option: "registry", value: path, expected: "an existing registry file")
        }
        let registry = try AdapterRegistry(path: path, options: AdapterRegistry.Options(readOnly: true))
        defer { registry.close() }
        let records = try registry.list()
        if a.flag("json") {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            for r in records {
                let row = Row(name: r.name, ranks: r.ranks, alpha: r.alpha, scale: r.scale, target_modules: r.targetModules,
                              dora: r.dora, bytes: r.byteSize, sha256: r.sha256, base_model_id: r.baseModelId,
                              created: Int(r.createdAt.timeIntervalSince1970), defect: r.defect)
                FileHandleOutput.stdout(String(decoding: try encoder.encode(row), as: UTF8.self) + "\n")
            }
            return
        }
        var lines = [["NAME", "RANKS", "ALPHA", "TARGETS", "DORA", "BYTES", "SHA256", "BASE", "CREATED"]]
        let formatter = ISO8601DateFormatter()
        for r in records {
            lines.append([r.name, r.ranks.map(String.init).joined(separator: ","), r.alpha.map { String($0) } ?? "-",
                          r.targetModules.joined(separator: ","), r.dora ? "yes" : "no", String(r.byteSize), String(r.sha256.prefix(12)),
                          r.baseModelId ?? "-", formatter.string(from: r.createdAt)]
                         + (r.defect.map { ["DAMAGED: " + $0] } ?? []))
        }
        let widths = (0..<lines[0].count).map { i in lines.map { $0[i].count }.max() ?? 0 }
        for line in lines {
            let padded = line.enumerated().map { i, s in i < widths.count ? s.padding(toLength: widths[i], withPad: " ", startingAt: 0) : s }
            FileHandleOutput.stdout(padded.joined(separator: "  ").trimmingCharacters(in: .whitespaces) + "\n")
        }
    }

    struct Row: Encodable {
        var name: String
        var ranks: [Int]
        var alpha: Double?
        var scale: Double?
        var target_modules: [String]
        var dora: Bool
        var bytes: Int64
        var sha256: String
        var base_model_id: String?
        var created: Int
        /// Why the row's metadata could not be read (absent when it is fine).
        var defect: String?
    }
}
