/// The `log_format` setting.
///
/// `text` is one human-readable line per event; under systemd (stderr is the
/// journal stream named by `$JOURNAL_STREAM`) the timestamp is dropped and the
/// line gets a `<N>` priority prefix instead, since journald stamps and levels
/// it itself. `json` is one JSON object per line for log shippers.
public enum LogFormat: String, CaseIterable, Sendable {
    case text, json
}
