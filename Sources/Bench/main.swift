// lorad-bench: the project's benchmarks, a separate executable so the daemon
// binary carries none of them (nor their HTTP client). Build it with
// `swift build -c release --product lorad-bench`; BENCHMARKS.md records its
// output.
import CLI

let usage = """
usage: lorad-bench <command> [options]

commands:
  model   a synthesized SmolLM-135M-shaped model (or Qwen2.5-0.5B / Qwen3-0.6B with
          --family): decode, prefill, LoRA and engine speed as ratios against this
          machine's bandwidth and sgemm peak
  serve   the daemon over HTTP (upload latency, HTTP vs engine throughput, merge download)
  fleet   a replica behind the endpoint picker: start-up, listings and /metrics with
          10,000 registered adapters, first use from adapter_dirs vs a cold load
  http    the HTTP/1.1 server alone on a trivial route (for scripts/bench-http.sh)
  peer    lorad beside llama.cpp's llama-bench on the same weights (F32, BF16, F16): decode
          and prefill, alternating, in one run (needs a llama-bench binary)
  template  chat-template rendering: parse once, render a 10-message conversation with tools
  help    this text

Run `lorad-bench <command> --help` for a command's options.
"""

Subcommands(program: "lorad-bench", usage: usage, commands: [
    "model": (BenchCommand.usage, BenchCommand.run),
    "serve": (ServeBench.usage, ServeBench.run),
    "fleet": (FleetBench.usage, FleetBench.run),
    "http": (HTTPBenchCommand.usage, HTTPBenchCommand.run),
    "peer": (PeerBench.usage, PeerBench.run),
    "template": (TemplateBench.usage, TemplateBench.run),
    "chat": (ChatBench.usage, ChatBench.run),
]).main()
