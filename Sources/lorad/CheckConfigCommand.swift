import CLI
import Daemon
import Foundation
import Llama
import SafeTensors
import Tokenization

/// `lorad check-config`: parses a configuration file (and flags) exactly as
/// `lorad serve` would, checks the files it names, prints the effective
/// settings and exits non-zero on any problem — without loading the model or
/// binding a socket.
enum CheckConfigCommand {
    static let usage = """
    usage: lorad check-config --config FILE [serve flags…]
      Validates FILE (and any `lorad serve` flags given, which override it):
      unknown keys, bad values, the model folder (config.json, the safetensors
      headers, the tokenizer, the chat templates; not the weights), the
      registry's directory, token files. Prints the effective configuration
      on success.
    """

    static func run(_ args: [String]) throws {
        let a = try Arguments(args, valued: Configuration.flagNames.union(["config"]))
        guard let file = a.value("config") else { throw UsageError.missing("--config FILE") }
        var overrides: [String: [String]] = [:]
        for flag in Configuration.flagNames where !a.values(flag).isEmpty { overrides[flag] = a.values(flag) }
        let configuration = try Configuration.resolve(file: file, overrides: overrides)
        // resourceProblems reads the token files too: each problem once.
        var problems: [any Error] = configuration.resourceProblems()
        if problems.isEmpty { problems += modelProblems(configuration) }
        guard problems.isEmpty else {
            for p in problems { FileHandleOutput.stderr("lorad check-config: \(p)\n") }
            throw CheckConfigError.invalid(count: problems.count, file: file)
        }
        FileHandleOutput.stdout(configuration.description)
        FileHandleOutput.stderr("lorad check-config: \(file) is valid\n")
    }
}

extension CheckConfigCommand {
    /// What `lorad serve` reads from the model folder before it loads any
    /// weights, read the same way: config.json (family, shapes, rope), the
    /// safetensors headers, the tokenizer, and the chat templates (the
    /// configured file, the folder's own) — each parsed, none kept. The
    /// weights themselves are not read.
    static func modelProblems(_ configuration: Configuration) -> [any Error] {
        let folder = URL(fileURLWithPath: configuration.model)
        var problems: [any Error] = []
        func check(_ body: () throws -> Void) {
            do { try body() } catch { problems.append(error) }
        }
        check { _ = try LlamaConfig(folder: folder) }
        check { _ = try Checkpoint(folder: folder) }
        check { _ = try Tokenizer(folder: folder) }
        check { _ = try ModelChatTemplates.load(folder: folder, configuredFile: configuration.chatTemplate) }
        return problems
    }
}

enum CheckConfigError: Error, CustomStringConvertible {
    case invalid(count: Int, file: String)
    var description: String {
        switch self {
        case let .invalid(count, file): return "\(file): \(count) problem\(count == 1 ? "" : "s") (listed above)"
        }
    }
}
