import Foundation
@testable import HTTP1

/// Starts a server on 127.0.0.1 and ::1 (port 0) with the routes tests use.
struct ServerFixture {
    let server: HTTPServer
    let v4: SocketAddress
    let v6: SocketAddress

    init(limits: HTTPLimits = HTTPLimits(), configure: (HTTPServer) -> Void = { _ in },
         onServerAnswer: (@Sendable (ServerAnswer) -> Void)? = nil) throws {
        server = HTTPServer(limits: limits, serverName: "lorad-test", onServerAnswer: onServerAnswer)
        Self.standardRoutes(server)
        configure(server)
        v4 = try server.listen("127.0.0.1:0")
        v6 = try server.listen("[::1]:0")
    }

    struct Echo: Codable, Equatable {
        var prompt: String
        var max_tokens: Int?
    }

    static func standardRoutes(_ server: HTTPServer) {
        server.route(.GET, "/hello/:name") { req, res in
            try await res.send(text: "hello \(req.parameter("name") ?? "?") q=\(req.query("q") ?? "-")")
        }
        server.route(.GET, "/whoami") { req, res in
            try await res.send(text: "\(req.listenerAddress) \(req.remoteAddress.host)")
        }
        server.route(.GET, "/health") { _, res in
            try await res.send(text: "ok")
        }
        server.route(.POST, "/echo") { req, res in
            let body = try await req.body()
            let trailers = await req.trailers()
            var headers = HTTPHeaders()
            if let sum = trailers["X-Sum"] { headers["X-Trailer-Sum"] = sum }
            try await res.send(.ok, headers: headers, body: body)
        }
        server.route(.POST, "/json") { req, res in
            let value = try await req.decodeJSON(Echo.self)
            try await res.sendJSON(.ok, value)
        }
        server.route(.GET, "/throw") { _, _ in
            struct Boom: Error {}
            throw Boom()
        }
        server.route(.GET, "/teapot") { _, _ in
            throw HTTPError(HTTPStatus(418, "I'm a teapot"), "short and stout")
        }
        server.route(.GET, "/stream") { req, res in
            let n = Int(req.query("n") ?? "3") ?? 3
            try await res.start(headers: ["Content-Type": "text/plain"])
            for i in 0..<n { try await res.write("piece \(i)\n") }
            try await res.finish(trailers: ["X-Count": "\(n)"])
        }
        server.route(.DELETE, "/hello/:name") { _, res in
            try await res.send(.noContent)
        }
        server.route(.POST, "/ignore-body") { _, res in
            try await res.send(text: "not reading it")
        }
        server.route(.POST, "/read-one") { req, res in
            _ = try await req.read()
            try await res.send(.created, text: "read one piece")
        }
    }
}
