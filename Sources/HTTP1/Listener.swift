import Dispatch
import Glibc

/// A listening socket whose accepts are driven by a Dispatch read source.
final class Listener: @unchecked Sendable {  // `paused` is touched only on `queue`; the rest is immutable
    let socket: Socket
    let address: SocketAddress
    private let source: DispatchSourceRead
    private let queue: DispatchQueue
    private var paused = false

    /// `onAccept` gets each accepted socket, its peer's address and this
    /// listener's bound address.
    init(address: SocketAddress, backlog: Int32,
         onAccept: @escaping @Sendable (Socket, SocketAddress, SocketAddress) -> Void) throws(SocketError) {
        socket = try Socket.listen(on: address, backlog: backlog)
        do {
            self.address = try socket.localAddress()
        } catch {
            socket.close()
            throw error
        }
        queue = DispatchQueue(label: "lorad.http.accept")
        source = DispatchSource.makeReadSource(fileDescriptor: socket.fd, queue: queue)
        let socket = self.socket
        source.setCancelHandler { socket.close() }
        source.setEventHandler { [unowned self] in acceptAll(onAccept) }
        source.activate()
    }

    private func acceptAll(_ onAccept: (Socket, SocketAddress, SocketAddress) -> Void) {
        while true {
            do {
                guard let (client, remote) = try socket.accept() else { return }
                onAccept(client, remote, address)
            } catch {
                // EMFILE/ENFILE/ENOBUFS: the pending connection stays queued and
                // the source would fire again at once; back off briefly instead.
                if !paused {
                    paused = true
                    source.suspend()
                    queue.asyncAfter(deadline: .now() + .milliseconds(100)) { [self] in
                        paused = false
                        source.resume()
                    }
                }
                return
            }
        }
    }

    /// Closes the listening socket; new connection attempts are refused.
    func cancel() {
        queue.sync {
            source.cancel()
            if paused {
                paused = false
                source.resume()
            }
        }
    }
}
