extension Duration {
    /// In seconds, as a Double (for logs and metrics).
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) * 1e-18
    }
}
