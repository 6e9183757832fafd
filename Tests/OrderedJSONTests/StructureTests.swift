import Foundation
import OrderedJSON
import Testing

/// RFC 8259 §2–§5: values, objects, arrays, whitespace, and what surrounds the document.
@Suite struct StructureTests {
    @Test func literalsAndNestedContainersDecode() throws {
        let v = try parse(#" { "a" : [ true , false , null , { } , [ ] ] , "b" : { "c" : [ [ 1 ] ] } } "#)
        #expect(v == .object([
            ("a", .array([.bool(true), .bool(false), .null, .object([]), .array([])])),
            ("b", .object([("c", .array([.array([.integer(1)])]))])),
        ]))
    }

    @Test func objectMembersKeepTheirFileOrder() throws {
        // PEFT's get_pattern_key takes the first match in this order; a dictionary would lose it.
        let keys = (0..<50).map { "k\(($0 * 37) % 50)" }
        let text = "{" + keys.enumerated().map { "\"\($0.element)\": \($0.offset)" }.joined(separator: ",") + "}"
        let members = try #require(try parse(text).objectValue)
        #expect(members.map(\.key) == keys)
        #expect(members.map(\.value) == (0..<50).map { .integer($0) })
    }

    @Test func duplicateKeysAreAllKeptAndTheLastOneWinsOnLookup() throws {
        // Both former readers kept every member and looked up the last (Python json, serde_json).
        let v = try parse(#"{"a": 1, "b": 2, "a": 3}"#)
        #expect(v.objectValue?.map(\.key) == ["a", "b", "a"])
        #expect(v["a"] == .integer(3))
        #expect(v["b"] == .integer(2))
        #expect(v["c"] == nil)
        #expect(JSONValue.array([])["a"] == nil)
    }

    @Test func scalarsAreDocumentsToo() throws {
        #expect(try parse("null") == .null)
        #expect(try parse(" \"x\"\n") == .string("x"))
        #expect(try parse("\t-1\r\n") == .integer(-1))
    }

    @Test func aByteOrderMarkIsTolerated() throws {
        #expect(try JSONValue.parse([0xEF, 0xBB, 0xBF] + Array("[1]".utf8)) == .array([.integer(1)]))
        #expect(try JSONValue.parse(Data([0xEF, 0xBB, 0xBF]) + Data("{}".utf8)) == .object([]))
    }

    @Test func trailingGarbageIsRejected() {
        for text in ["{} x", "[1]]", "1 2", "{}{}", "null,", "\"a\" \"b\""] {
            #expect(parseError(text) != nil, "\(text)")
        }
    }

    @Test func malformedStructureIsRejected() {
        for text in ["", "   ", "{", "[", "[1,]", "[,1]", "{\"a\":1,}", "{\"a\" 1}", "{a: 1}", "{'a': 1}", "{1: 2}",
                     "[1 2]", "tru", "nul", "True", "[\u{A0}1]", "\u{0B}1", "/* c */ 1", "[1,\n// c\n2]"] {
            #expect(parseError(text) != nil, "\(text)")
        }
    }

    @Test func nestingUpToTheLimitIsAcceptedAndDeeperIsRefused() throws {
        func nested(_ n: Int) -> String { String(repeating: "[", count: n) + String(repeating: "]", count: n) }
        let options = JSONParseOptions(maxDepth: 64)
        _ = try parse(nested(64), options)
        let error = try #require(parseError(nested(65), options))
        #expect(error.offset == 64)
        #expect(error.expected.contains("64 levels of nesting"))
        // Far past the limit, the parser stops at the limit rather than recursing on.
        #expect(parseError(nested(200_000))?.offset == 512)
        #expect(parseError(String(repeating: "{\"a\":", count: 600) + "1" + String(repeating: "}", count: 600))?.offset == 5 * 512)
    }

    @Test func valuesAgreeWithFoundationOnAnOrdinaryDocument() throws {
        // Peer check: the same document through JSONSerialization.
        let text = #"{"name": "tiny", "dims": [64, 128.5, -3e2, 0], "flags": {"on": true, "off": false, "none": null}, "s": "\u00e9\t"}"#
        let ours = try parse(text)
        let theirs = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(ours["name"]?.stringValue == theirs["name"] as? String)
        #expect(ours["s"]?.stringValue == theirs["s"] as? String)
        let dims = try #require(theirs["dims"] as? [NSNumber])
        #expect(ours["dims"]?.arrayValue?.compactMap(\.doubleValue) == dims.map(\.doubleValue))
        let flags = try #require(theirs["flags"] as? [String: Any])
        #expect(ours["flags"]?["on"]?.boolValue == flags["on"] as? Bool)
        #expect(ours["flags"]?["off"]?.boolValue == flags["off"] as? Bool)
        #expect(ours["flags"]?["none"]?.isNull == (flags["none"] is NSNull))
    }
}
