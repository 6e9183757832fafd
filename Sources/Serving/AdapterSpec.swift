import AdapterNaming

/// A request's adapter selection: `NAME`, `NAME:0.5`, or `a:0.7,b:0.3`
/// (like llama.cpp's per-request `lora` list with scales).
///
/// The weight multiplies the adapter's own alpha/r scale. An empty spec means
/// the base model alone.
public struct AdapterSpec: Sendable, Hashable, CustomStringConvertible {
    public struct Term: Sendable, Hashable {
        public let name: String
        public let weight: Float
        public init(name: String, weight: Float) {
            self.name = name
            self.weight = weight
        }
    }

    public let terms: [Term]

    public init(terms: [Term]) { self.terms = terms }
    public static let base = AdapterSpec(terms: [])

    /// The largest |weight| a request may give an adapter. A weight scales
    /// the trained delta; beyond ±100 the result is no longer the adapter
    /// (and at 1e30 it overflows F32 into NaN logits).
    public static let maxWeight: Float = 100
    /// The most adapters one request may combine (each costs a low-rank pass
    /// per targeted projection and step).
    public static let maxTerms = 16

    /// Parses `a`, `a:0.5`, `a:0.7,b:0.3`. Names follow `AdapterName`'s rule
    /// (the registry's); weights are finite numbers within ±`maxWeight`;
    /// a name may appear once; at most `maxTerms` adapters.
    public init(parsing text: String) throws {
        var terms: [Term] = []
        var seen = Set<String>()
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
        guard parts.count <= Self.maxTerms else { throw AdapterSpecError.tooManyTerms(parts.count, spec: String(text.prefix(200))) }
        for raw in parts {
            let pieces = raw.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(pieces[0].trimmingCharacters(in: " \t"))
            guard AdapterName.brokenRule(name) == nil else { throw AdapterSpecError.invalidName(name, spec: text) }
            var weight: Float = 1
            if pieces.count == 2 {
                let given = String(pieces[1].trimmingCharacters(in: " \t"))
                // A decimal number only, as JSON writes one: Swift's parser
                // would also take `0x1p3`, `nan` and `inf`. Range-checked as
                // a Double, so 1e40 is out of range rather than infinite.
                guard given.allSatisfy({ "0123456789+-.eE".contains($0) }), let w = Double(given) else {
                    throw AdapterSpecError.invalidWeight(given, name: name, spec: text)
                }
                guard abs(w) <= Double(Self.maxWeight) else {
                    throw AdapterSpecError.weightOutOfRange(given, name: name, spec: text)
                }
                weight = Float(w)
            }
            guard seen.insert(name).inserted else { throw AdapterSpecError.duplicate(name, spec: text) }
            terms.append(Term(name: name, weight: weight))
        }
        self.terms = terms
    }

    public var isBase: Bool { terms.isEmpty }

    public var description: String {
        terms.map { $0.weight == 1 ? $0.name : "\($0.name):\($0.weight)" }.joined(separator: ",")
    }
}

public enum AdapterSpecError: Error, CustomStringConvertible, Equatable {
    case invalidName(String, spec: String)
    case invalidWeight(String, name: String, spec: String)
    case duplicate(String, spec: String)
    case weightOutOfRange(String, name: String, spec: String)
    case tooManyTerms(Int, spec: String)

    public var description: String {
        switch self {
        case let .invalidName(n, spec):
            return "adapter spec '\(spec)': '\(n)' is not a valid adapter name: \(AdapterName.brokenRule(n) ?? "")"
        case let .invalidWeight(w, n, spec):
            return "adapter spec '\(spec)': weight '\(w)' of '\(n)' is not a decimal number"
        case let .weightOutOfRange(w, n, spec):
            return "adapter spec '\(spec)': weight '\(w)' of '\(n)' is out of range "
                + "(-\(AdapterSpec.maxWeight)...\(AdapterSpec.maxWeight))"
        case let .tooManyTerms(count, spec):
            return "adapter spec '\(spec)': \(count) adapters; at most \(AdapterSpec.maxTerms) can be combined"
        case let .duplicate(n, spec):
            return "adapter spec '\(spec)': '\(n)' appears more than once"
        }
    }
}

extension StringProtocol {
    fileprivate func trimmingCharacters(in set: String) -> Substring {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s.removeFirst() }
        while let l = s.last, set.contains(l) { s.removeLast() }
        return s
    }
}
