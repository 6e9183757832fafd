import Serving

/// The adapters a request names, parsed but not looked up (the engine's
/// adapter cache does that).
struct AdapterChoice: Sendable {
    let spec: AdapterSpec
    /// The `model` of the response: the base's id, or the spec served in
    /// its canonical form (`NAME`, `NAME:0.5`, `a:0.7,b:0.3`).
    let modelName: String
    /// The spec text as the request gave it.
    let text: String
    /// Named through `"model"` (OpenAI style) rather than `?adapter=` or
    /// `"adapter"`: an unknown name is then an unknown model.
    let namedByModel: Bool

    /// The one adapter whose own chat template applies, if the request
    /// names exactly one (a combination renders with the base's template).
    var singleAdapterName: String? {
        let terms = spec.terms
        return terms.count == 1 ? terms[0].name : nil
    }
}
