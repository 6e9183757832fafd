import Foundation

/// The `program <command> [options]` shape of both executables: the first
/// argument picks a command, `--help`/`-h` anywhere prints that command's
/// usage, and the exit status says how it went: 0 done, 1 the command
/// failed, 2 a mistake on the command line (printed with the usage).
public struct Subcommands {
    public typealias Command = (usage: String, run: ([String]) throws -> Void)

    private let program: String
    private let usage: String
    private let commands: [String: Command]

    /// - Parameters:
    ///   - program: the executable's name, the prefix of every message
    ///   - usage: the list of commands, printed for `help` and for mistakes
    public init(program: String, usage: String, commands: [String: Command]) {
        self.program = program
        self.usage = usage
        self.commands = commands
    }

    /// Runs the command `arguments` names and exits the process.
    public func main(_ arguments: [String] = Array(CommandLine.arguments.dropFirst())) -> Never {
        FileHandleOutput.occupyStandardDescriptors()
        guard let command = arguments.first else {
            FileHandleOutput.stderr(usage + "\n")
            exit(2)
        }
        let rest = Array(arguments.dropFirst())
        if command == "help" || command == "--help" || command == "-h" {
            FileHandleOutput.stdout(usage + "\n")
            exit(0)
        }
        guard let entry = commands[command] else {
            FileHandleOutput.stderr("\(program): unknown command '\(command)'\n\n" + usage + "\n")
            exit(2)
        }
        if rest.contains("--help") || rest.contains("-h") {
            FileHandleOutput.stdout(entry.usage + "\n")
            exit(0)
        }
        do {
            try entry.run(rest)
        } catch let error as UsageError {
            FileHandleOutput.stderr("\(program) \(command): \(error)\n\n\(entry.usage)\n")
            exit(2)
        } catch {
            FileHandleOutput.stderr("\(program) \(command): \(error)\n")
            exit(1)
        }
        exit(0)
    }
}
