import Foundation
import TestSupport
import Testing
@testable import HTTP1

@Suite struct MultipartDecoderTests {
    static let boundary = "----lorad1234"
    static func body(_ parts: [(String, String?, String)], preamble: String = "", epilogue: String = "") -> [UInt8] {
        var s = preamble
        for (name, filename, content) in parts {
            s += "--\(boundary)\r\n"
            s += "Content-Disposition: form-data; name=\"\(name)\"" + (filename.map { "; filename=\"\($0)\"" } ?? "") + "\r\n"
            if filename != nil { s += "Content-Type: application/octet-stream\r\n" }
            s += "\r\n\(content)\r\n"
        }
        s += "--\(boundary)--\r\n" + epilogue
        return Array(s.utf8)
    }

    struct Part: Equatable {
        var name: String
        var filename: String?
        var content: [UInt8]
    }

    func parse(_ chunks: [[UInt8]], limits: MultipartLimits = MultipartLimits()) -> (parts: [Part], error: MultipartError?) {
        var d = MultipartDecoder(boundary: Self.boundary, limits: limits)
        var parts: [Part] = []
        do {
            for (i, chunk) in chunks.enumerated() {
                d.append(chunk)
                if i == chunks.count - 1 { d.finishInput() }
                while let e = try d.next() {
                    switch e {
                    case .partBegin(let h): parts.append(Part(name: h.name, filename: h.filename, content: []))
                    case .partData(let b): parts[parts.count - 1].content += b
                    case .partEnd, .end: break
                    }
                }
            }
        } catch {
            return (parts, error)
        }
        return (parts, nil)
    }

    @Test func fieldsAndFilesAreSeparated() {
        let b = Self.body([("name", nil, "my-adapter"), ("weights", "adapter_model.safetensors", "\r\n--not-a-boundary\r\nbinary")],
                          preamble: "ignored preamble\r\n", epilogue: "ignored epilogue")
        let r = parse([b])
        #expect(r.error == nil)
        #expect(r.parts == [
            Part(name: "name", filename: nil, content: Array("my-adapter".utf8)),
            Part(name: "weights", filename: "adapter_model.safetensors", content: Array("\r\n--not-a-boundary\r\nbinary".utf8)),
        ])
    }

    @Test func randomSplitsGiveTheSameParts() {
        let content = String((0..<5000).map { i in Character(UnicodeScalar(UInt8(32 + (i * 7919) % 90))) })
        let b = Self.body([("a", nil, "x"), ("file", "f.bin", content), ("c", nil, "")])
        let whole = parse([b])
        #expect(whole.error == nil)
        var rng = SplitMix64(seed: 7578)
        for _ in 0..<30 {
            let split = parse(randomSplit(b, using: &rng))
            #expect(split.parts == whole.parts)
            #expect(split.error == nil)
        }
        #expect(parse(b.map { [$0] }).parts == whole.parts)
    }

    @Test func aBodyWithBareLFLineEndingsIsRefusedSayingSo() {
        let crlf = Self.body([("name", nil, "my-adapter"), ("config", "adapter_config.json", "{}")])
        let lf = Array(String(decoding: crlf, as: UTF8.self).replacingOccurrences(of: "\r\n", with: "\n").utf8)
        // Fed whole and a byte at a time, as the socket may deliver it.
        for chunks in [[lf], lf.map { [$0] }] {
            let r = parse(chunks)
            #expect(r.error?.status.code == 400)
            #expect(r.error?.message.contains("bare LF") == true, "\(String(describing: r.error))")
            #expect(r.parts.isEmpty)
        }
    }

    @Test func partLargerThanItsLimitIs413() {
        let b = Self.body([("weights", "w", String(repeating: "x", count: 2000))])
        let r = parse([b], limits: MultipartLimits(maxPartBytes: 1000))
        #expect(r.error?.status.code == 413)
        #expect(r.error?.message.contains("weights") == true)
    }

    @Test func truncatedBodyIsAnError() {
        let b = Self.body([("a", nil, "hello")])
        #expect(parse([Array(b.dropLast(10))]).error?.status.code == 400)
        #expect(parse([Array("no boundary here".utf8)]).error?.status.code == 400)
    }

    @Test func partWithoutNameIsRejected() {
        let raw = "--\(Self.boundary)\r\nContent-Disposition: form-data\r\n\r\nx\r\n--\(Self.boundary)--\r\n"
        #expect(parse([Array(raw.utf8)]).error?.message.contains("name") == true)
    }

    @Test func contentDispositionParametersAreUnquoted() {
        let (kind, p) = MultipartPartHead.parseParameters(#"form-data; name="a\"b"; filename="c;d.txt"; x=y"#)
        #expect(kind == "form-data")
        #expect(p["name"] == "a\"b")
        #expect(p["filename"] == "c;d.txt")
        #expect(p["x"] == "y")
    }

    @Test func boundaryComesFromTheContentType() throws {
        #expect(try MultipartPartHead.boundary(fromContentType: "multipart/form-data; boundary=\"abc\"") == "abc")
        #expect(throws: MultipartError.self) { try MultipartPartHead.boundary(fromContentType: "application/json") }
    }
}
