/// Which chat templates render a request: the named adapter's own (uploaded
/// with it) when it has one, else the served model's.
struct ChatTemplates {
    let service: LoadedModel

    /// - Throws: 400 when neither the adapter nor the model has a template.
    func templates(for choice: AdapterChoice) async throws -> ChatTemplateSet {
        guard let templates = service.chat.model.templates else {
            throw APIError.badRequest("the model '\(service.modelID)' has no chat template (tokenizer_config.json "
                + "`chat_template` or chat_template.jinja): set `chat_template = FILE` in the configuration, "
                + "or use /v1/completions")
        }
        return templates
    }
}
