import AdapterNaming
import Foundation
import HTTP1
import Registry

/// vLLM's adapter-management API, which the Gateway API Inference
/// Extension's lora-syncer sidecar calls on each replica:
///
/// - `POST /v1/load_lora_adapter {"lora_name", "lora_path", "load_inplace"}`
///   imports the PEFT folder `lora_path` (validated exactly like an upload,
///   stored in the registry, so it survives a restart); `load_inplace: true`
///   replaces an adapter of that name like `POST /adapters?replace=true`.
///   The folder must lie inside one of `adapter_dirs` once resolved with
///   `realpath` (symlinks and `..` included), otherwise 403. A hub id
///   `ORG/NAME` (not an absolute path) is read from the hub cache
///   (`hf_hub_cache`) at `refs/main` when one is configured; 404 if absent.
/// - `POST /v1/unload_lora_adapter {"lora_name"}` deletes it like
///   `DELETE /adapters/NAME`.
///
/// Both need the admin token (a `trusted_listen` listener asks none: the
/// lora-syncer sends no credentials). vLLM answers with a line of text; these
/// answer with JSON (the adapter, or the deletion), with the same statuses.
struct LoRAAdapterManagementHandler {
    let service: LoadedModel

    func load(_ request: HTTPRequest, _ response: HTTPResponse) async throws -> String {
        try service.auth.requireAdmin(request)
        let body = try await request.jsonBody()
        let name = try body.required("lora_name").string()
        let path = try body.required("lora_path").string()
        let inPlace = try body.bool("load_inplace", default: false)
        // C reads a path only up to a NUL: the rest would be logged, not read.
        guard !path.utf8.contains(0) else { throw APIError.badRequest("`lora_path` contains a NUL character") }
        try AdapterRegistry.validateName(name)
        try AdapterNameIsBaseModel.refuse(name, modelID: service.modelID, .storing)
        // Refuse a taken name before reading hundreds of MB of weights (the
        // registry's own 409 would point at upload's replace=true).
        if !inPlace, try await BlockingWork.run({ [service] in try service.registry.record(named: name) }) != nil {
            throw HTTPError(.conflict, "adapter '\(name)' already exists (load it with \"load_inplace\": true to replace it)",
                            type: "conflict_error")
        }
        let directories = service.adapterDirectories, hub = service.hubCache, limit = service.maxUploadBytes
        // The files are buffered like an upload's parts, so they count against
        // upload_buffer_mb like them (503 + Retry-After past it) until stored:
        // concurrent loads cannot hold more memory than concurrent uploads.
        let claim = service.uploadBudget.claim()
        defer { claim.release() }
        let files = try await BlockingWork.compute { () throws -> (config: Data, weights: Data) in
            // vLLM takes a Hugging Face repo id as lora_path too (the
            // lora-syncer's examples give one); without network access the
            // hub cache is where one is found, at refs/main, as first use does.
            let (folder, area): (String, AdapterDirectories)
            if let hub, !path.hasPrefix("/"), (try? AdapterName(path))?.hubID != nil {
                guard let found = try hub.locate(path) else { throw AdapterPathError.notInHubCache(id: path, root: hub.root) }
                (folder, area) = found
            } else {
                (folder, area) = (try directories.resolve(path), directories)
            }
            // Claimed before reading, from the sizes; a file that grew since
            // is claimed for the rest once read.
            try claim.add(area.adapterBytes(folder: folder, maxWeightsBytes: limit))
            let files = try area.readAdapter(folder: folder, maxWeightsBytes: limit)
            let unclaimed = files.config.count + files.weights.count - claim.bytes
            if unclaimed > 0 { try claim.add(unclaimed) }
            return files
        }
        let (record, running) = try await AdapterImport.store(name: name, config: files.config, weights: files.weights,
                                                              replace: inPlace, service: service)
        service.logger.info(inPlace ? "adapter loaded from folder (in place)" : "adapter loaded from folder",
                            ["adapter": name, "path": path, "bytes": record.byteSize, "sha256": record.sha256])
        var resource = AdapterResource(record: record, service: service, status: .compatible)
        if inPlace { resource.previous_in_flight = running }
        try await response.sendAPI(.ok, resource)
        return name
    }

    func unload(_ request: HTTPRequest, _ response: HTTPResponse) async throws -> String {
        try service.auth.requireAdmin(request)
        let body = try await request.jsonBody()
        let name = try body.required("lora_name").string()
        let running = try await AdaptersHandler.remove(name, service: service)
        try await response.sendAPI(.ok, AdaptersHandler.Deleted(id: name, in_flight: running))
        return name
    }
}
