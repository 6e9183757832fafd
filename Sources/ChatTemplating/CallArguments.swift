/// Evaluated arguments of a call, bound to parameters Python-style.
struct CallArguments {
    var positional: [Value]
    var keyword: [(name: String, value: Value)] = []

    var isEmpty: Bool { positional.isEmpty && keyword.isEmpty }

    /// One slot per parameter name (nil where not given). Positional
    /// arguments fill from the left, keywords by name; too many, unknown or
    /// duplicate arguments and missing required ones are `TypeError`s.
    func bind(_ function: String, _ names: [String], required: Int = 0) throws -> [Value?] {
        guard positional.count <= names.count else {
            throw TemplateError(.type, "\(function)() takes at most \(names.count) argument\(names.count == 1 ? "" : "s") (\(positional.count) given)")
        }
        var slots: [Value?] = positional.map { $0 } + Array(repeating: nil, count: names.count - positional.count)
        for (name, value) in keyword {
            guard let i = names.firstIndex(of: name) else {
                throw TemplateError(.type, "\(function)() got an unexpected keyword argument '\(name)'")
            }
            guard slots[i] == nil else { throw TemplateError(.type, "\(function)() got multiple values for argument '\(name)'") }
            slots[i] = value
        }
        for i in 0..<min(required, names.count) where slots[i] == nil {
            throw TemplateError(.type, "\(function)() missing required argument '\(names[i])'")
        }
        return slots
    }

    /// Refuses any argument (for zero-argument methods).
    func none(_ function: String) throws {
        guard isEmpty else { throw TemplateError(.type, "\(function)() takes no arguments") }
    }
}
