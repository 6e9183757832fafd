import ChatTemplating
import OrderedJSON
import Testing

/// Every case of the golden corpus renders byte-exactly as transformers
/// rendered it, or fails where transformers failed — with exactly the
/// template's message when it called `raise_exception`.
@Suite struct GoldenCorpusTests {
    @Test func corpusIsComplete() {
        #expect(GoldenCorpus.cases.count == 342)
        #expect(GoldenCorpus.templates.count == 26)
    }

    @Test(arguments: GoldenCorpus.cases)
    func caseRendersAsTransformersDid(_ golden: GoldenCorpus.Case) throws {
        let template = try #require(try GoldenCorpus.templates[golden.template]?.get())
        let input = try ChatTemplateInput(caseJSON: golden.json)
        let result = Result { () throws(TemplateError) in try template.render(input, date: GoldenCorpus.date) }
        if let expected = golden.json["expected"]?.stringValue {
            switch result {
            case .success(let output):
                #expect(output == expected, "\(firstDifference(output, expected))")
            case .failure(let error):
                Issue.record("expected a rendering, got \(error)")
            }
            return
        }
        guard case .failure(let error) = result else {
            Issue.record("expected an error (\(golden.json["error_type"]?.stringValue ?? "?")), got a rendering")
            return
        }
        if golden.json["error_from_raise_exception"]?.boolValue == true {
            #expect(error.kind == .raised)
            #expect(error.message == golden.json["error"]?.stringValue)
        } else {
            #expect(error.kind != .raised, "jinja2 failed with \(golden.json["error_type"]?.stringValue ?? "?"), not raise_exception")
        }
    }

    /// Where two renderings first differ, for a readable failure.
    private func firstDifference(_ a: String, _ b: String) -> String {
        let x = Array(a.utf8), y = Array(b.utf8)
        var i = 0
        while i < min(x.count, y.count) && x[i] == y[i] { i += 1 }
        func around(_ bytes: [UInt8]) -> String {
            String(decoding: bytes[max(0, i - 40)..<min(bytes.count, i + 40)], as: UTF8.self).debugDescription
        }
        return "first difference at byte \(i): got \(around(x)) expected \(around(y))"
    }
}
