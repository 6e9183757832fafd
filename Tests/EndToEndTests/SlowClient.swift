import Foundation

/// A raw TCP client that sends one request, reads nothing, and closes: with a
/// tiny receive buffer the server's writes back up, so a long response is
/// still being produced when the client disappears.
enum SlowClient {
    static func postAndLeave(port: Int, path: String, headers: [String], after seconds: Double) throws {
        let c = try RawConnection(port: port, receiveBuffer: 4096)
        var head = "POST \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nContent-Length: 0\r\n"
        for h in headers { head += h + "\r\n" }
        guard try c.send(head + "\r\n") else { throw RawConnection.Failure(description: "send: the server closed") }
        Thread.sleep(forTimeInterval: seconds)
        // Unread data in the receive queue makes close() send RST (RFC 2525 §2.17).
    }
}
