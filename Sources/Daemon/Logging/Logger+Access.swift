import HTTP1

extension Logger {
    /// The access-log line of one HTTP request:
    /// `request method=POST path=/v1/completions status=200 adapter=x prompt_tokens=12 completion_tokens=40 duration_ms=85.210`.
    ///
    /// `path` is logged without its query string (clients sometimes put
    /// credentials there); `adapter` is the resolved adapter spec or `-` for
    /// the base model. No bodies, headers or text are ever taken.
    public func access(method: String, path: String, status: Int, adapter: String?,
                       promptTokens: Int? = nil, completionTokens: Int? = nil,
                       durationSeconds: Double, level: LogLevel = .info) {
        guard isEnabled(level) else { return }
        log(level, "request", fields: Logger.accessFields(method: method, path: path, status: status, adapter: adapter,
                                                         promptTokens: promptTokens, completionTokens: completionTokens,
                                                         durationSeconds: durationSeconds))
    }

    /// The access-log line of a request the HTTP layer answered by itself
    /// (`ServerAnswer`): `request method=- path=- status=400 adapter=- reason=badHeader`
    /// — the same message and first fields as `access`, `-` for what was
    /// never parsed, and the reason word instead of tokens and a duration.
    public func serverAnswer(_ answer: ServerAnswer) {
        guard isEnabled(.info) else { return }
        var fields = Logger.accessFields(method: answer.method ?? "-", path: answer.path ?? "-", status: answer.status,
                                         adapter: nil, promptTokens: nil, completionTokens: nil, durationSeconds: nil)
        fields.append(("reason", LogValue(answer.reason)))
        log(.info, "request", fields: fields)
    }

    static func accessFields(method: String, path: String, status: Int, adapter: String?,
                             promptTokens: Int?, completionTokens: Int?, durationSeconds: Double?) -> [(String, LogValue)] {
        let bare = path.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? path
        var fields: [(String, LogValue)] = [("method", LogValue(method)), ("path", LogValue(bare)), ("status", LogValue(status)),
                                            ("adapter", LogValue(adapter ?? "-"))]
        if let promptTokens { fields.append(("prompt_tokens", LogValue(promptTokens))) }
        if let completionTokens { fields.append(("completion_tokens", LogValue(completionTokens))) }
        if let durationSeconds { fields.append(("duration_ms", LogValue(durationSeconds * 1000, decimals: 3))) }
        return fields
    }
}
