// lorad command line: `lorad <command> [options]`. Each command lives in its
// own file; this only dispatches and turns errors into exit codes.
import Foundation

let usage = """
usage: lorad <command> [options]

commands:
  generate   generate text from a model folder (optionally with LoRA adapters)
  serve      run the daemon (HTTP API, adapter registry)
  adapters   list the registry's adapters (`lorad adapters list`)
  check-config  validate a configuration file without starting
  merge      fold LoRA adapters into the base weights and write a model folder
  bench      benchmark on a synthesized SmolLM-135M-shaped model
  bench-serve  benchmark the daemon over HTTP (upload latency, HTTP vs engine throughput)
  bench-http the HTTP/1.1 server alone on a trivial route (for scripts/bench-http.sh)
  help       this text

Run `lorad <command> --help` for a command's options.
"""

let arguments = Array(CommandLine.arguments.dropFirst())
guard let command = arguments.first else {
    FileHandleOutput.stderr(usage + "\n")
    exit(2)
}
let rest = Array(arguments.dropFirst())
let commands: [String: (usage: String, run: ([String]) throws -> Void)] = [
    "generate": (GenerateCommand.usage, GenerateCommand.run),
    "merge": (MergeCommand.usage, MergeCommand.run),
    "check-config": (CheckConfigCommand.usage, CheckConfigCommand.run),
    "bench": (BenchCommand.usage, BenchCommand.run),
    "serve": (ServeCommand.usage, ServeCommand.run),
    "bench-serve": (ServeBench.usage, ServeBench.run),
    "bench-http": (HTTPBenchCommand.usage, HTTPBenchCommand.run),
    "adapters": (AdaptersCommand.usage, AdaptersCommand.run),
]

if command == "help" || command == "--help" || command == "-h" {
    FileHandleOutput.stdout(usage + "\n")
    exit(0)
}
guard let entry = commands[command] else {
    FileHandleOutput.stderr("lorad: unknown command '\(command)'\n\n" + usage + "\n")
    exit(2)
}
if rest.contains("--help") || rest.contains("-h") {
    FileHandleOutput.stdout(entry.usage + "\n")
    exit(0)
}
do {
    try entry.run(rest)
} catch let error as UsageError {
    FileHandleOutput.stderr("lorad \(command): \(error)\n\n\(entry.usage)\n")
    exit(2)
} catch {
    FileHandleOutput.stderr("lorad \(command): \(error)\n")
    exit(1)
}
