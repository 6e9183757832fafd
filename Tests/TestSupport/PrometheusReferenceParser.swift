import Foundation

/// The reference parser of the Prometheus Python client
/// (`prometheus_client.parser.text_string_to_metric_families`;
/// `pip install prometheus_client`), which rejects malformed lines, bad
/// escapes and non-cumulative histograms. Tests read exposition text back
/// through it with `ExternalTool.run(python, ["-c", script], stdin: text)`.
public enum PrometheusReferenceParser {
    public struct ParsedFamily: Decodable, Sendable {
        public var name: String
        public var type: String
        public var help: String
        public var samples: [ParsedSample]
    }
    public struct ParsedSample: Decodable, Sendable {
        public var name: String
        public var labels: [String: String]
        public var value: String   // Python repr: "inf", "3.0"
    }

    /// Reads exposition text on stdin, prints the families as JSON.
    public static let script = """
    import json, sys
    from prometheus_client.parser import text_string_to_metric_families
    out = []
    for f in text_string_to_metric_families(sys.stdin.read()):
        out.append({"name": f.name, "type": f.type, "help": f.documentation,
                    "samples": [{"name": s.name, "labels": s.labels, "value": repr(s.value)} for s in f.samples]})
    print(json.dumps(out))
    """

    /// python3 with `prometheus_client`, or nil when either is missing.
    public static let python: String? = {
        guard let python = ExternalTool.find("python3"),
              let probe = try? ExternalTool.run(python, ["-c", "import prometheus_client"]), probe.status == 0 else { return nil }
        return python
    }()

    /// The families the reference parser reads from `text`.
    /// - Throws: `Rejected` (with the parser's stderr) when it refuses the text.
    public static func parse(_ text: String, python: String) throws -> [ParsedFamily] {
        let result = try ExternalTool.run(python, ["-c", script], stdin: text)
        guard result.status == 0 else { throw Rejected(stderr: result.stderr) }
        return try JSONDecoder().decode([ParsedFamily].self, from: Data(result.stdout.utf8))
    }

    public struct Rejected: Error, CustomStringConvertible {
        public let stderr: String
        public var description: String { "prometheus_client rejected the exposition: \(stderr)" }
    }
}
