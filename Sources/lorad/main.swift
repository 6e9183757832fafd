// lorad command line: `lorad <command> [options]`. Each command lives in its
// own file; this only lists them (`Subcommands` dispatches and turns errors
// into exit codes). The benchmarks are a separate executable, `lorad-bench`.
import CLI

let usage = """
usage: lorad <command> [options]

commands:
  generate   generate text from a model folder (optionally with LoRA adapters)
  serve      run the daemon (HTTP API, adapter registry)
  adapters   list the registry's adapters (`lorad adapters list`)
  check-config  validate a configuration file without starting
  merge      fold LoRA adapters into the base weights and write a model folder
  template   render a chat template with a conversation (`lorad template render`)
  help       this text

Run `lorad <command> --help` for a command's options.
"""

Subcommands(program: "lorad", usage: usage, commands: [
    "generate": (GenerateCommand.usage, GenerateCommand.run),
    "merge": (MergeCommand.usage, MergeCommand.run),
    "check-config": (CheckConfigCommand.usage, CheckConfigCommand.run),
    "serve": (ServeCommand.usage, ServeCommand.run),
    "adapters": (AdaptersCommand.usage, AdaptersCommand.run),
    "template": (TemplateCommand.usage, TemplateCommand.run),
]).main()
