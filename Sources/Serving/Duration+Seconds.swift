extension Duration {
    /// The duration in seconds as a Double (stats, logs, metrics, benchmarks).
    /// Public so the daemon and the CLI use this one conversion.
    public var seconds: Double {
        let (s, atto) = components
        return Double(s) + Double(atto) * 1e-18
    }
}
