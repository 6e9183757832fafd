import Foundation
import Llama
import Tokenization
import HTTP1

extension LoradServer {
    /// `/v1/chat/completions` and the template and tokenizer endpoints.
    func registerChatRoutes() {
        route(.POST, "/v1/chat/completions") { [metrics] service, request, response in
            let outcome = try await ChatCompletionsHandler(service: service, metrics: metrics).handle(request, response)
            return AccessInfo(status: 200, adapter: outcome.adapter, promptTokens: outcome.promptTokens,
                              completionTokens: outcome.completionTokens)
        }
        route(.POST, "/tokenize") { [metrics] service, request, response in
            try await TokenizeHandler(service: service, metrics: metrics).tokenize(request, response)
            return AccessInfo(status: 200)
        }
        route(.POST, "/detokenize") { [metrics] service, request, response in
            try await TokenizeHandler(service: service, metrics: metrics).detokenize(request, response)
            return AccessInfo(status: 200)
        }
        route(.POST, "/apply-template") { [metrics] service, request, response in
            try await TokenizeHandler(service: service, metrics: metrics).applyTemplate(request, response)
            return AccessInfo(status: 200)
        }
    }
}

extension LoradServer {
    /// The model's chat templates (or the configured file) and turn-ending
    /// ids; a template that does not parse stops start-up, naming its file.
    func loadChat(folder: URL, model: LlamaModel, tokenizer: Tokenizer) throws -> ChatSupport {
        let templates = try ModelChatTemplates.load(folder: folder, configuredFile: configuration.chatTemplate)
        let stopIDs = Set(model.config.eosTokenIDs).union(tokenizer.eosTokenIds)
        if let set = templates.templates {
            let format = configuration.toolCallParser.format(for: set.sources)
            logger.info("chat template loaded", ["from": set.origin, "names": set.templates.map(\.name).joined(separator: ","),
                                                 "tool_call_parser": format?.rawValue ?? "none"])
        } else {
            logger.notice("the model has no chat template: /v1/chat/completions answers 400 until `chat_template` is configured")
        }
        return ChatSupport(model: templates, toolCallParser: configuration.toolCallParser, stopTokenIDs: stopIDs)
    }
}
