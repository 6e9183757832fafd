import Foundation
import Glibc

/// Streams the parts of a `multipart/form-data` request body.
///
/// ```swift
/// let form = try request.multipart(limits: MultipartLimits(maxPartBytes: 600 << 20))
/// while let part = try await form.nextPart() {
///     switch part.name {
///     case "name": name = try await part.text()
///     case "weights": size = try await part.write(to: temporaryURL)   // streamed, never held whole
///     default: break                                                   // skipped unread
///     }
/// }
/// ```
/// Errors are `HTTPError`s (400/413/415/431) that handlers can simply rethrow.
public final class MultipartReader {
    let request: HTTPRequest
    private var decoder: MultipartDecoder
    /// Serial number of the part being read, and whether its content is
    /// still unread. The reader keeps no reference to parts (a part keeps
    /// the reader), so an abandoned loop leaves no cycle behind.
    private var partSerial = 0
    private var partOpen = false
    private var finished = false

    init(request: HTTPRequest, limits: MultipartLimits) throws {
        self.request = request
        do {
            let boundary = try MultipartPartHead.boundary(fromContentType: request.headers["Content-Type"])
            decoder = MultipartDecoder(boundary: boundary, limits: limits)
        } catch {
            throw error.httpError
        }
    }

    private func nextEvent() async throws -> MultipartEvent {
        while true {
            do {
                if let event = try decoder.next() { return event }
            } catch {
                throw error.httpError
            }
            if let piece = try await request.read() {
                decoder.append(piece)
            } else {
                decoder.finishInput()
            }
        }
    }

    /// The next part, or nil after the last. Unread content of the previous
    /// part is skipped.
    public func nextPart() async throws -> MultipartPart? {
        while partOpen {
            switch try await nextEvent() {
            case .partData: continue
            case .partEnd: partOpen = false
            case .partBegin, .end: throw HTTPError(.internalServerError, "multipart reader out of step", type: "internal_error")
            }
        }
        guard !finished else { return nil }
        switch try await nextEvent() {
        case .partBegin(let head):
            partSerial += 1
            partOpen = true
            return MultipartPart(head: head, serial: partSerial, reader: self)
        case .end:
            finished = true
            return nil
        case .partData, .partEnd:
            throw HTTPError(.internalServerError, "multipart reader out of step", type: "internal_error")
        }
    }

    func readData(for part: MultipartPart) async throws -> [UInt8]? {
        guard part.serial == partSerial, partOpen else { return nil }
        switch try await nextEvent() {
        case .partData(let bytes):
            return bytes
        case .partEnd:
            partOpen = false
            return nil
        case .partBegin, .end:
            throw HTTPError(.internalServerError, "multipart reader out of step", type: "internal_error")
        }
    }
}

/// One part of a multipart body; read it before asking for the next part.
public final class MultipartPart {
    public let head: MultipartPartHead
    public var name: String { head.name }
    public var filename: String? { head.filename }
    public var contentType: String? { head.contentType }
    public var headers: HTTPHeaders { head.headers }
    private let reader: MultipartReader
    let serial: Int

    init(head: MultipartPartHead, serial: Int, reader: MultipartReader) {
        self.head = head
        self.serial = serial
        self.reader = reader
    }

    /// The next piece of this part's content, nil at its end.
    public func read() async throws -> [UInt8]? { try await reader.readData(for: self) }

    /// The whole content (bounded by `MultipartLimits.maxPartBytes`).
    public func collect() async throws -> [UInt8] {
        var all: [UInt8] = []
        while let piece = try await read() { all += piece }
        return all
    }

    /// The content as UTF-8 text (400 when it is not).
    public func text() async throws -> String {
        let bytes = try await collect()
        guard let s = String(validating: bytes, as: UTF8.self) else {
            throw HTTPError(.badRequest, "multipart field `\(name)` is not UTF-8 text", type: "invalid_request_error")
        }
        return s
    }

    /// Streams the content into a new file at `url` (created or truncated);
    /// returns the number of bytes written. Only one piece is in memory at a time.
    @discardableResult
    public func write(to url: URL) async throws -> Int {
        let fd = open(url.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw fileError("open", url, errno) }
        defer { close(fd) }
        var total = 0
        while let piece = try await read() {
            var off = 0
            while off < piece.count {
                let n = piece[off...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
                if n < 0 {
                    if errno == EINTR { continue }
                    throw fileError("write", url, errno)
                }
                off += n
            }
            total += piece.count
        }
        return total
    }

    private func fileError(_ call: String, _ url: URL, _ code: Int32) -> HTTPError {
        HTTPError(.internalServerError, "\(call) \(url.path) for multipart field `\(name)`: \(SocketError(call: call, errno: code))",
                  type: "internal_error")
    }
}

extension HTTPRequest {
    /// A streaming reader over this request's `multipart/form-data` body
    /// (415 if the Content-Type is not multipart/form-data).
    public func multipart(limits: MultipartLimits = MultipartLimits()) throws -> MultipartReader {
        try MultipartReader(request: self, limits: limits)
    }
}
