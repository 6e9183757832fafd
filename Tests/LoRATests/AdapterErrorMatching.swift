import LoRA
import Testing

/// Runs `body`, requires an `AdapterError`, and checks that its message names every `fragment`.
@discardableResult
func expectAdapterError(_ fragments: [String], sourceLocation: SourceLocation = #_sourceLocation,
                        _ body: () throws -> Void) -> AdapterError? {
    do {
        try body()
        Issue.record("expected an AdapterError naming \(fragments), got success", sourceLocation: sourceLocation)
        return nil
    } catch let error as AdapterError {
        let message = error.description
        for fragment in fragments {
            #expect(message.contains(fragment), "message \"\(message)\" should name \"\(fragment)\"",
                    sourceLocation: sourceLocation)
        }
        return error
    } catch {
        Issue.record("expected an AdapterError, got \(type(of: error)): \(error)", sourceLocation: sourceLocation)
        return nil
    }
}
