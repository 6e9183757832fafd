/// An adapter name equal to the base model's id (`/v1/models`' first entry,
/// the model folder's name).
///
/// Why refused: `"model": BASE` means the base model — as in vLLM, whose
/// `OpenAIServingModels` checks the served model names before the LoRA
/// modules' — and lorad also takes `"adapter": BASE` and `?adapter=BASE` as
/// the base, so an adapter of that name would be reached only through specs
/// with a weight (`BASE:1`, `BASE,other`): one string, two models.
/// New ones are refused when stored (409); one stored before this rule (or
/// under a base that was renamed since) is never served: a spec naming it
/// (completions, `PUT /merged`, a merge download) is 400, `GET /adapters`
/// shows it incompatible and `/v1/models` leaves it out, while
/// `GET`/`DELETE /adapters/NAME` still reach it.
public struct AdapterNameIsBaseModel: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Use: Sendable, Equatable {
        /// An upload, `load_lora_adapter` or a folder import would store it.
        case storing
        /// A spec names it with a weight or in a combination.
        case serving
    }

    public let name: String
    public let use: Use

    public var description: String {
        switch use {
        case .storing:
            return "adapter name '\(name)' is the base model's id: an adapter under it would shadow the base "
                + "(\"model\": \"\(name)\" always serves the base model, as in vLLM); choose another name"
        case .serving:
            return "'\(name)' is the base model's id, not an adapter: \(Self.notServed(name))"
        }
    }

    /// Why a stored adapter of that name is not served, and what to do.
    static func notServed(_ name: String) -> String {
        "\"model\": \"\(name)\" serves the base model; an adapter stored under that name is never served "
            + "(it would shadow the base): delete it (DELETE /adapters/\(name)) and upload it under another name"
    }

    /// - Throws: this error when `name` is `modelID`.
    static func refuse(_ name: String, modelID: String, _ use: Use) throws(AdapterNameIsBaseModel) {
        if name == modelID { throw AdapterNameIsBaseModel(name: name, use: use) }
    }
}
