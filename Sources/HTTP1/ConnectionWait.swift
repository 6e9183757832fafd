/// What a connection is waiting for; each wait has its own timeout
/// (`ConnectionTimeouts`).
enum ConnectionWait: Equatable {
    /// Closed: nothing can time out.
    case nothing
    /// Half-closed, draining what the client still sends before the close.
    case linger
    /// Output is queued and the client is not reading it.
    case send
    /// A handler waits for request body bytes.
    case body
    /// A handler is working; the connection itself waits for nothing.
    case handler
    /// Between requests with nothing buffered (keep-alive).
    case idle
    /// Accepted, and not one byte of a first request yet: the header timeout
    /// runs from the accept.
    case fresh
    /// Part of a request head has arrived.
    case head
}
