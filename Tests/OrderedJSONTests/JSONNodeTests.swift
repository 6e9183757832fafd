import OrderedJSON
import Testing

@Suite struct JSONNodeTests {
    func node(_ text: String) throws -> JSONNode {
        JSONNode(try JSONValue.parse(Array(text.utf8)))
    }

    func failure(_ body: () throws -> Void) -> JSONAccessError? {
        do { try body(); return nil } catch { return error as? JSONAccessError }
    }

    @Test func errorsNameTheFullPathOfTheField() throws {
        let root = try node(#"{"a": {"b": [1, {"c": "x"}]}}"#)
        let error = failure { _ = try root.required("a").required("b").array()[1].required("c").int() }
        #expect(error?.path == "a.b[1].c")
        #expect(error?.description == "`a.b[1].c` must be an integer, got \"x\"")
    }

    @Test func nullReadsAsAbsentAndRequiredSaysSo() throws {
        let root = try node(#"{"a": null}"#)
        #expect(root.optional("a") == nil)
        #expect(root.optional("missing") == nil)
        #expect(failure { _ = try root.required("a") }?.description == "`a` is required")
        #expect(failure { _ = try root.required("missing") }?.found == "nothing")
    }

    @Test func integersOutsideTheRangeNameTheRange() throws {
        let root = try node(#"{"n": 9223372036854775807, "big": 18446744073709551615, "neg": -9223372036854775807}"#)
        #expect(try root.int("n") == Int.max)
        let big = failure { _ = try root.int("big", in: 0...100) }
        #expect(big?.expected == "an integer in 0...100")
        // 2^64 - 1 is beyond Int: it must be refused as out of range, never trap.
        #expect(failure { _ = try root.int("big") }?.expected == "an integer in -9223372036854775808...9223372036854775807")
        #expect(failure { _ = try root.int("neg", in: 1...Int.max) } != nil)
    }

    @Test func numbersBeyondDoublesRangeAreOutOfRangeNotInfinite() throws {
        let root = try node(#"{"e": 1e999, "digits": \#(String(repeating: "9", count: 400)), "neg": -1e999}"#)
        for key in ["e", "digits", "neg"] {
            let error = failure { _ = try root.int(key, in: 1...16) }
            #expect(error?.expected == "an integer in 1...16", "\(key)")
            #expect(error?.found == "a number beyond any integer type", "\(key)")
            #expect(failure { _ = try root.double(key, in: 0...2) }?.found == "a number beyond Double's range", "\(key)")
        }
    }

    @Test func integralFloatsCountAsIntegersButFractionsDoNot() throws {
        let root = try node(#"{"a": 8.0, "b": 8.5, "c": true, "d": 1e300}"#)
        #expect(try root.int("a") == 8)
        #expect(failure { _ = try root.int("b") } != nil)
        #expect(failure { _ = try root.int("c") } != nil)
        #expect(failure { _ = try root.int("d") } != nil)
    }

    @Test func doublesRespectTheirRange() throws {
        let root = try node(#"{"t": 0.7, "huge": 1e308, "i": 3}"#)
        #expect(try root.double("t", in: 0...2) == 0.7)
        #expect(try root.double("i") == 3)
        #expect(failure { _ = try root.double("huge", in: 0...100) }?.expected == "a number in 0.0...100.0")
    }

    @Test func membersKeepDocumentOrderAndPaths() throws {
        let root = try node(#"{"z": 1, "a": 2}"#)
        let members = try root.members()
        #expect(members.map(\.key) == ["z", "a"])
        #expect(members.map(\.node.path) == ["z", "a"])
    }

    @Test func briefCutsLongValues() throws {
        let long = String(repeating: "x", count: 10_000)
        let value = try JSONValue.parse(Array("[\"\(long)\", \"\(long)\"]".utf8))
        #expect(value.brief.count < 100)
        #expect(try JSONValue.parse(Array("[1, 2]".utf8)).brief == "[1, 2]")
    }
}

@Suite struct DuplicateKeyTests {
    @Test func duplicateKeysAreKeptByDefaultAndTheLastWins() throws {
        let value = try JSONValue.parse(Array(#"{"a": 1, "a": 2}"#.utf8))
        #expect(value["a"] == .integer(2))
        #expect(value.objectValue?.count == 2)
    }

    @Test func strictParsingRefusesADuplicateKeyAndNamesIt() throws {
        let text = #"{"max_tokens": 1, "nested": {"x": 1}, "max_tokens": 2}"#
        do {
            _ = try JSONValue.parse(Array(text.utf8), options: .strict)
            Issue.record("a duplicate key must be refused")
        } catch {
            #expect(error.found.contains("max_tokens"))
            #expect(error.offset == 38) // the opening quote of the second "max_tokens"
        }
    }

    @Test func duplicatesAreComparedByteExactly() throws {
        // "Å" as U+00C5 and as U+212B are canonically equivalent in Swift but different keys in JSON.
        let text = "{\"\u{00C5}\": 1, \"\u{212B}\": 2}"
        let value = try JSONValue.parse(Array(text.utf8), options: .strict)
        #expect(value.objectValue?.count == 2)
    }

    @Test func theSameKeyInDifferentObjectsIsNotADuplicate() throws {
        let text = #"{"a": {"k": 1}, "b": {"k": 2}}"#
        #expect(throws: Never.self) { _ = try JSONValue.parse(Array(text.utf8), options: .strict) }
    }
}

@Suite struct WritingTests {
    @Test func writingThenParsingGivesTheSameValue() throws {
        let text = #"{"b": [1, 2.5, -0.0, 1e-05, "x\n\"y", null, true], "a": {"nested": {}, "list": []}, "é": 1e300}"#
        let value = try JSONValue.parse(Array(text.utf8))
        for indent in [0, 2] {
            #expect(try JSONValue.parse(Array(value.serialized(indent: indent).utf8)) == value)
        }
    }

    @Test func indentedOutputIsLaidOutAsPythonJSONDumpsWritesIt() throws {
        let value = try JSONValue.parse(Array(#"{"a": [1, 2], "b": {}, "c": "d"}"#.utf8))
        // json.dumps({"a": [1, 2], "b": {}, "c": "d"}, indent=2)
        #expect(value.serialized(indent: 2) == "{\n  \"a\": [\n    1,\n    2\n  ],\n  \"b\": {},\n  \"c\": \"d\"\n}")
        #expect(value.serialized() == #"{"a": [1, 2], "b": {}, "c": "d"}"#)
    }
}
