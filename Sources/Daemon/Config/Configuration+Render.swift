extension Configuration: CustomStringConvertible {
    /// The effective configuration in `lorad.conf` syntax, one key per line in
    /// table order (`lorad check-config` prints it). It parses back to an
    /// equal `Configuration`. Only token *paths* appear, never tokens.
    public var description: String {
        ConfigKey.allCases.map { key in
            let value = key.value(in: self)
            return value.isEmpty ? "\(key.rawValue) =" : "\(key.rawValue) = \(Configuration.quotedIfNeeded(value))"
        }.joined(separator: "\n") + "\n"
    }

    /// Quotes a value that the bare syntax would change (see `ConfigFile`).
    static func quotedIfNeeded(_ value: String) -> String {
        let needsQuotes = value.contains("#") || value.contains("\"") || value.hasPrefix(" ")
            || value.hasSuffix(" ") || value.hasPrefix("\t") || value.hasSuffix("\t")
        guard needsQuotes else { return value }
        var out = "\""
        for c in value {
            if c == "\"" || c == "\\" { out.append("\\") }
            out.append(c)
        }
        return out + "\""
    }
}
