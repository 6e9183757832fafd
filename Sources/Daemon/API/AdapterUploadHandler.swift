import FileReading
import Foundation
import HTTP1
import LoRA
import Registry

/// `POST /adapters[?replace=true]`: a `multipart/form-data` body with fields
/// `name`, `config` (adapter_config.json) and `weights`
/// (adapter_model.safetensors), exactly what
/// `curl -F name=x -F config=@adapter_config.json -F weights=@adapter_model.safetensors` sends,
/// and optionally `chat_template` (a `.jinja` file: the adapter's own chat
/// template, checked by rendering a one-message conversation before anything
/// is stored; 422 when it fails).
///
/// The adapter is validated against the base model (`AdapterLoader`, the same
/// code the engine loads with) before anything is written; the registry
/// stores it in one transaction. Replacing an adapter leaves running requests
/// on the old version (their cache lease holds it) while new ones load the new.
///
/// Peak memory: the weights part is held once (a `Data` that grows with the
/// bytes received — never reserved from the announced Content-Length, which
/// costs a client nothing to inflate — bounded by `max_upload_mb`, and
/// claimed from the `UploadBudget` all in-flight uploads share); validation
/// reads it in place and the registry streams it into the BLOB from the same
/// buffer. Validation decodes each module's factors to F32 in turn and drops
/// them before the next (`AdapterLoader.validate`): a 240 MB BF16 upload
/// peaked at 1.2× its file, against 4.1× when every module was kept.
struct AdapterUploadHandler {
    let service: LoadedModel

    /// Small fields are bounded well below the upload limit; the config and
    /// the template as the same files are when read from disk.
    static let maxNameFieldBytes = 256
    static let maxConfigBytes = FileSizeLimit.adapterConfig.bytes
    static let maxChatTemplateBytes = FileSizeLimit.chatTemplate.bytes

    func upload(_ request: HTTPRequest, _ response: HTTPResponse) async throws -> String? {
        try service.auth.requireAdmin(request)
        let replace = try Self.flag(request.query("replace"), name: "replace")
        let form = try request.multipart(limits: MultipartLimits(maxPartBytes: service.maxUploadBytes, maxParts: 8))
        let claim = service.uploadBudget.claim()
        defer { claim.release() }

        var name: String?
        var config: Data?
        var weights: Data?
        var chatTemplate: Data?
        while let part = try await form.nextPart() {
            switch part.name {
            case "name":
                guard name == nil else { throw APIError.badRequest("multipart field `name` appears twice") }
                let data = try await Self.collect(part, limit: Self.maxNameFieldBytes, claim: claim)
                guard let text = String(data: data, encoding: .utf8) else {
                    throw APIError.badRequest("multipart field `name` is not UTF-8 text")
                }
                try AdapterRegistry.validateName(text)
                try AdapterNameIsBaseModel.refuse(text, modelID: service.modelID, .storing)
                // Refuse a taken name before reading hundreds of MB of weights.
                let registry = service.registry
                if !replace, try await BlockingWork.run({ try registry.record(named: text) }) != nil {
                    throw RegistryError.alreadyExists(text)
                }
                name = text
            case "config":
                guard config == nil else { throw APIError.badRequest("multipart field `config` appears twice") }
                config = try await Self.collect(part, limit: Self.maxConfigBytes, claim: claim)
            case "weights":
                guard weights == nil else { throw APIError.badRequest("multipart field `weights` appears twice") }
                let base = service.baseShapes
                weights = try await Self.collect(part, limit: service.maxUploadBytes, claim: claim) { prefix in
                    try AdapterLoader.checkWeightsPrefix(prefix, base: base)
                }
            case "chat_template":
                guard chatTemplate == nil else { throw APIError.badRequest("multipart field `chat_template` appears twice") }
                chatTemplate = try await Self.collect(part, limit: Self.maxChatTemplateBytes, claim: claim)
            default:
                throw APIError.badRequest("unexpected multipart field `\(part.name)`: expected `name`, `config` "
                    + "(adapter_config.json), `weights` (adapter_model.safetensors) and optionally `chat_template`")
            }
        }
        let missing = [("name", name == nil), ("config", config == nil), ("weights", weights == nil)].filter(\.1).map { "`\($0.0)`" }
        guard let name, let config, let weights else {
            throw APIError.badRequest("missing multipart field\(missing.count > 1 ? "s" : "") \(missing.joined(separator: ", ")): "
                + "send name, config=@adapter_config.json and weights=@adapter_model.safetensors")
        }
        let templateText = try chatTemplate.map { data -> String in
            guard let text = String(data: data, encoding: .utf8) else {
                throw HTTPError(.unprocessableContent, "invalid chat_template: not UTF-8 text", type: "invalid_chat_template")
            }
            return text
        }
        if let templateText {
            let tokens = service.chat.model.specialTokens
            _ = try await BlockingWork.compute { try AdapterChatTemplates.validate(templateText, specialTokens: tokens) }
        }
        let (record, running) = try await AdapterImport.store(name: name, config: config, weights: weights,
                                                              chatTemplate: templateText, replace: replace, service: service)
        service.logger.info(replace ? "adapter stored (replace)" : "adapter stored",
                            ["adapter": name, "bytes": record.byteSize, "sha256": record.sha256])
        var resource = AdapterResource(record: record, service: service, status: .compatible)
        if replace { resource.previous_in_flight = running }
        try await response.sendAPI(.created, resource,
                                   headers: ["Location": "/adapters/\(name)"])
        return name
    }

    /// A part's content into one buffer that grows with the bytes received
    /// (Data grows geometrically, by `realloc`), refusing more than `limit`
    /// bytes (413); every piece is claimed from the upload budget first (503).
    /// `inspectPrefix` sees the first 8 bytes once they are in (a safetensors
    /// header length) and may refuse the part before the rest is read.
    static func collect(_ part: MultipartPart, limit: Int, claim: UploadBudget.Claim,
                        inspectPrefix: ((Data) throws -> Void)? = nil) async throws -> Data {
        var data = Data()
        var inspected = inspectPrefix == nil
        while let piece = try await part.read() {
            guard data.count + piece.count <= limit else {
                throw HTTPError(.contentTooLarge, "multipart field `\(part.name)` exceeds its limit of \(limit) bytes",
                                type: "invalid_request_error")
            }
            try claim.add(piece.count)
            data.append(contentsOf: piece)
            if !inspected, data.count >= 8 {
                inspected = true
                try inspectPrefix?(data.prefix(8))
            }
        }
        return data
    }

    /// `true`/`1`/`yes` or `false`/`0`/`no`/absent.
    static func flag(_ value: String?, name: String) throws -> Bool {
        guard let value else { return false }
        switch value.lowercased() {
        case "true", "1", "yes", "": return true
        case "false", "0", "no": return false
        default: throw APIError.badRequest("query parameter `\(name)` must be true or false, not '\(value)'")
        }
    }
}
