import HTTP1

extension ServerSentEvents {
    /// Ends an OpenAI stream: `data: [DONE]`, then the end of the body.
    func finishWithDone() async throws {
        try await send(data: "[DONE]")
        try await finish()
    }

    /// A failure after the status line went out is reported the way OpenAI
    /// streams report one, as an `{"error": …}` event, and the stream still
    /// ends properly.
    func finish(with error: any Error) async throws {
        try await send(data: APIErrorBody(APIError.map(error)).json)
        try await finishWithDone()
    }
}
