import Foundation

/// HTTP through the `curl` command line, exactly as a user would call the
/// daemon (real multipart from `-F`, real SSE reading with `-N`).
public enum Curl {
    public struct Response: Sendable {
        public var status: Int
        public var body: Data
        public var text: String { String(decoding: body, as: UTF8.self) }

        public func json() throws -> [String: Any] {
            guard let object = try JSONSerialization.jsonObject(with: body) as? [String: Any] else {
                throw CurlError.notJSONObject(text)
            }
            return object
        }

        /// `error.message` of an error body.
        public var errorMessage: String? { ((try? json())?["error"] as? [String: Any])?["message"] as? String }
        public var errorCode: Int? { ((try? json())?["error"] as? [String: Any])?["code"] as? Int }
    }

    /// A started curl whose output is collected in a file (for concurrent or
    /// long-running requests).
    public final class Running: @unchecked Sendable { // used from one test at a time
        public let process: Process
        public let bodyURL: URL
        public let statusURL: URL
        public let directory: URL

        public init(process: Process, bodyURL: URL, statusURL: URL, directory: URL) {
            self.process = process
            self.bodyURL = bodyURL
            self.statusURL = statusURL
            self.directory = directory
        }

        public var isRunning: Bool { process.isRunning }
        public var bodySoFar: String { (try? String(contentsOf: bodyURL, encoding: .utf8)) ?? "" }

        public func wait() -> Response {
            process.waitUntilExit()
            let body = (try? Data(contentsOf: bodyURL)) ?? Data()
            let status = Int(((try? String(contentsOf: statusURL, encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
            try? FileManager.default.removeItem(at: directory)
            return Response(status: status, body: body)
        }

        /// SIGKILL: the test process may hand SIGTERM down as ignored
        /// (dispositions set to SIG_IGN are inherited across exec).
        public func terminate() {
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }

        deinit { terminate() }
    }

    /// Starts `curl` with `arguments` (the URL included); `--max-time` bounds it.
    public static func start(_ arguments: [String], maxSeconds: Int = 120) throws -> Running {
        let dir = try Fixtures.temporaryDirectory("lorad-curl")
        let body = dir.appendingPathComponent("body"), status = dir.appendingPathComponent("status")
        _ = FileManager.default.createFile(atPath: status.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["curl", "-sS", "-N", "--max-time", String(maxSeconds), "-o", body.path,
                             "-w", "%{http_code}"] + arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: status)
        process.standardError = FileHandle.nullDevice
        try process.run()
        return Running(process: process, bodyURL: body, statusURL: status, directory: dir)
    }

    public static func run(_ arguments: [String], maxSeconds: Int = 120) throws -> Response {
        try start(arguments, maxSeconds: maxSeconds).wait()
    }

    public static func get(_ url: String, headers: [String] = []) throws -> Response {
        try run(headers.flatMap { ["-H", $0] } + [url])
    }

    public static func delete(_ url: String, headers: [String] = []) throws -> Response {
        try run(["-X", "DELETE"] + headers.flatMap { ["-H", $0] } + [url])
    }

    /// POSTs `json` (an object serialised with JSONSerialization, keys sorted
    /// so the bytes sent do not depend on the dictionary's hash order).
    public static func postJSON(_ url: String, _ json: [String: Any], headers: [String] = []) throws -> Response {
        try startJSON(url, json, headers: headers).wait()
    }

    public static func startJSON(_ url: String, _ json: [String: Any], headers: [String] = []) throws -> Running {
        let data = try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys])
        return try start(["-H", "Content-Type: application/json", "--data-binary", String(decoding: data, as: UTF8.self)]
                         + headers.flatMap { ["-H", $0] } + [url])
    }

    /// `curl -F name=NAME -F config=@… -F weights=@…` (any field may be left out or replaced).
    public static func upload(_ base: String, name: String?, config: URL?, weights: URL?, replace: Bool = false,
                       headers: [String] = [], extra: [String] = []) throws -> Response {
        var args: [String] = []
        if let name { args += ["-F", "name=\(name)"] }
        if let config { args += ["-F", "config=@\(config.path)"] }
        if let weights { args += ["-F", "weights=@\(weights.path)"] }
        args += headers.flatMap { ["-H", $0] } + extra
        return try run(args + [base + "/adapters" + (replace ? "?replace=true" : "")])
    }

    /// The text of an SSE completion stream (`data:` chunks up to `[DONE]`), or nil if malformed.
    public static func streamedText(_ body: String) -> (text: String, finish: String?, done: Bool)? {
        var text = ""
        var finish: String?
        var done = false
        for line in body.split(separator: "\n") where line.hasPrefix("data: ") {
            let payload = line.dropFirst(6)
            if payload == "[DONE]" { done = true; continue }
            guard let obj = try? JSONSerialization.jsonObject(with: Data(payload.utf8)) as? [String: Any],
                  let choices = obj["choices"] as? [[String: Any]], let choice = choices.first,
                  let piece = choice["text"] as? String else { return nil }
            text += piece
            if let f = choice["finish_reason"] as? String { finish = f }
        }
        return (text, finish, done)
    }
}

public enum CurlError: Error, CustomStringConvertible {
    case notJSONObject(String)
    public var description: String {
        switch self { case .notJSONObject(let t): return "not a JSON object: \(t.prefix(300))" }
    }
}
