/// What a SIGHUP reload did (`LoradServer.reload(_:)`), for the log line and
/// the systemd `STATUS=`.
public struct ReloadReport: Sendable, Equatable {
    /// Keys whose new values are in force (`admin_token_file`, `log_level`, …).
    public var applied: [String] = []
    /// Keys whose new value could not be used; the old one stays in force.
    public var failed: [String] = []
    /// Keys that changed but only take effect after a restart.
    public var needRestart: [String] = []

    public init() {}
}
