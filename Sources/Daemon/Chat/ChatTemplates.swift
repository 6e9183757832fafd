/// Which chat templates render a request: the named adapter's own (uploaded
/// with it) when the request names exactly one adapter that has one, else
/// the served model's. A combination of adapters renders with the model's.
struct ChatTemplates {
    let service: LoadedModel

    /// - Throws: 400 when neither the adapter nor the model has a template.
    ///   An adapter the registry does not know is left to the engine (404).
    func templates(for choice: AdapterChoice) async throws -> ChatTemplateSet {
        if let name = choice.singleAdapterName {
            let registry = service.registry
            if let stored = try await BlockingWork.run({ try registry.chatTemplate(named: name) }), let text = stored.template {
                return try service.adapterTemplates.set(name: name, generation: stored.generation, text: text)
            }
        }
        guard let templates = service.chat.model.templates else {
            throw APIError.badRequest("the model '\(service.modelID)' has no chat template (tokenizer_config.json "
                + "`chat_template` or chat_template.jinja): set `chat_template = FILE` in the configuration, "
                + "upload the adapter with its own `chat_template`, or use /v1/completions")
        }
        return templates
    }
}
