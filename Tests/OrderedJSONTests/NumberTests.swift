import Foundation
import OrderedJSON
import Testing

/// RFC 8259 §6 numbers, the integer/float split, and Python's non-finite spellings.
@Suite struct NumberTests {
    @Test func integersStayIntegers() throws {
        #expect(try parse("[0, -0, 7, -42, 9223372036854775807, -9223372036854775808]") == .array([
            .integer(0), .integer(0), .integer(7), .integer(-42), .integer(.max), .integer(.min),
        ]))
    }

    @Test func integersBeyondIntBecomeFloats() throws {
        #expect(try parse("9223372036854775808") == .float(9223372036854775808))
        #expect(try parse("-9223372036854775809") == .float(-9223372036854775809))
        #expect(try parse("100000000000000000000000") == .float(1e23))
    }

    @Test func fractionsAndExponentsAreFloats() throws {
        let v = try parse("[1.0, -0.5, 1e2, 1E2, 1e+2, 1e-2, 2.5E-3, -0.0, 0e0, 1.7976931348623157e308]")
        #expect(v == .array([1.0, -0.5, 100, 100, 100, 0.01, 0.0025, -0.0, 0, .greatestFiniteMagnitude].map(JSONValue.float)))
        #expect(try parse("1e400") == .float(.infinity))
    }

    @Test func malformedNumbersAreRejected() {
        for text in ["01", "-01", "00", "1.", ".5", "-", "+1", "1e", "1e+", "1.e3", "0x10", "1_000", "- 1", "--1", "1.5.2"] {
            #expect(parseError(text) != nil, "\(text)")
        }
        #expect(parseError("[1, 012]")?.expected == "no leading zero in a number")
        #expect(parseError("[1, 012]")?.offset == 4)
    }

    @Test func nonFiniteSpellingsNeedTheOption() throws {
        for text in ["NaN", "Infinity", "-Infinity"] {
            #expect(parseError(text) != nil, "\(text)")
        }
        let options = JSONParseOptions(allowNonFiniteNumbers: true)
        #expect(try parse("NaN", options).doubleValue?.isNaN == true)
        #expect(try parse("[Infinity, -Infinity]", options) == .array([.float(.infinity), .float(-.infinity)]))
        #expect(parseError("nan", options) != nil)
        #expect(parseError("-Inf", options) != nil)
    }

    @Test func accessorsConvertBetweenIntegerAndFloat() throws {
        #expect(JSONValue.integer(8).doubleValue == 8)
        #expect(JSONValue.float(8.0).intValue == 8)
        #expect(JSONValue.float(8.5).intValue == nil)
        #expect(JSONValue.float(1e16).intValue == nil)
        #expect(JSONValue.string("8").intValue == nil)
        #expect(JSONValue.integer(1) != JSONValue.float(1))
    }
}
