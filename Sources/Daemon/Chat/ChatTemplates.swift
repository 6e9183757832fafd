/// Which chat templates render a request: the named adapter's own (uploaded
/// with it) when the request names exactly one adapter that has one, else
/// the served model's. A combination of adapters renders with the model's.
/// A chat completion takes them with its lease (`resolve(for:)`, in
/// ChatTemplates+Lease.swift) so that both are of one stored version.
struct ChatTemplates {
    let service: LoadedModel

    /// The templates of the version stored now, for the endpoints that
    /// render without generating (`/tokenize`, `/apply-template`).
    /// - Throws: 400 when neither the adapter nor the model has a template.
    ///   An adapter the registry does not know is left to the engine (404).
    func templates(for choice: AdapterChoice) async throws -> ChatTemplateSet {
        if let name = choice.singleAdapterName {
            let registry = service.registry
            if let stored = try await BlockingWork.run({ try registry.chatTemplate(named: name) }) {
                return try templates(of: name, stored: stored)
            }
        }
        return try modelTemplates()
    }

    /// `name`'s own template as stored at `stored.generation`, parsed once
    /// per version; the model's when that version has none.
    func templates(of name: String, stored: (generation: Int64, template: String?)) throws -> ChatTemplateSet {
        guard let text = stored.template else { return try modelTemplates() }
        return try service.adapterTemplates.set(name: name, generation: stored.generation, text: text)
    }

    /// The served model's templates.
    /// - Throws: 400 when it has none.
    func modelTemplates() throws -> ChatTemplateSet {
        guard let templates = service.chat.model.templates else {
            throw APIError.badRequest("the model '\(service.modelID)' has no chat template (tokenizer_config.json "
                + "`chat_template` or chat_template.jinja): set `chat_template = FILE` in the configuration, "
                + "upload the adapter with its own `chat_template`, or use /v1/completions")
        }
        return templates
    }
}
