extension MetricsRegistry {
    /// Every family in the Prometheus text format 0.0.4
    /// (prometheus.io/docs/instrumenting/exposition_formats): a `# HELP` and a
    /// `# TYPE` line per family, then its samples; histograms as cumulative
    /// `_bucket{le="…"}` lines ending with `le="+Inf"`, then `_sum`, `_count`.
    /// A family with no series yet shows only its HELP/TYPE lines, except a
    /// label-less one, which shows its zero value (so dashboards see 0, not absence).
    public func exposition() -> String {
        var out = ""
        for family in allFamilies {
            out += "# HELP \(family.name) \(MetricsRegistry.escapeHelp(family.help))\n"
            out += "# TYPE \(family.name) \(family.type.rawValue)\n"
            var (scalars, histograms) = family.snapshot()
            if family.labelNames.isEmpty && family.collect == nil {
                if family.type == .histogram, histograms.isEmpty {
                    histograms = [([], HistogramSnapshot(bounds: family.bounds))]
                } else if family.type != .histogram, scalars.isEmpty {
                    scalars = [([], 0)]
                }
            }
            for (labels, value) in scalars {
                out += family.name + MetricsRegistry.labelText(family.labelNames, labels) + " "
                    + MetricsRegistry.formatValue(value) + "\n"
            }
            for (labels, histogram) in histograms {
                let cumulative = histogram.cumulative
                for (i, count) in cumulative.enumerated() {
                    let le = i < histogram.bounds.count ? MetricsRegistry.formatValue(histogram.bounds[i]) : "+Inf"
                    out += family.name + "_bucket"
                        + MetricsRegistry.labelText(family.labelNames + ["le"], labels + [le]) + " \(count)\n"
                }
                let plain = MetricsRegistry.labelText(family.labelNames, labels)
                out += family.name + "_sum" + plain + " " + MetricsRegistry.formatValue(histogram.sum) + "\n"
                out += family.name + "_count" + plain + " \(histogram.count)\n"
            }
        }
        return out
    }

    /// `{a="x",b="y"}`, or nothing without labels.
    static func labelText(_ names: [String], _ values: [String]) -> String {
        guard !names.isEmpty else { return "" }
        let pairs = zip(names, values).map { "\($0)=\"\(escapeLabelValue($1))\"" }
        return "{" + pairs.joined(separator: ",") + "}"
    }

    /// Label values escape `\`, `"` and line feed (format 0.0.4, "Text format details").
    public static func escapeLabelValue(_ s: String) -> String {
        var out = ""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// HELP text escapes `\` and line feed only.
    static func escapeHelp(_ s: String) -> String {
        var out = ""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// Go-`ParseFloat`-compatible numbers: integers without a fraction,
    /// `NaN`, `+Inf`, `-Inf`, otherwise Swift's shortest round-trip form.
    public static func formatValue(_ v: Double) -> String {
        if v.isNaN { return "NaN" }
        if v.isInfinite { return v > 0 ? "+Inf" : "-Inf" }
        if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        return "\(v)"
    }
}
