import CLI

/// Collects benchmark rows and prints them as a Markdown table, so a run's
/// output can be pasted into BENCHMARKS.md as it is.
struct BenchReport {
    private var rows: [(String, String, String)] = []

    mutating func add(_ metric: String, _ value: String, _ note: String = "") {
        rows.append((metric, value, note))
        // Progress on stderr while the run goes on (it takes minutes).
        FileHandleOutput.stderr("bench: \(metric): \(value) \(note)\n")
    }

    var markdown: String {
        var s = "| metric | value | ratio / note |\n|---|---|---|\n"
        for (m, v, n) in rows { s += "| \(m) | \(v) | \(n) |\n" }
        return s
    }
}
