import Foundation
import HTTP1
import LoRA
import Registry
import SafeTensors
import Serving

/// `POST /adapters/NAME/merge[?dtype=f32|bf16|f16][&adapter=a:0.7,b:0.3]`: the
/// complete merged model (W0 + Σ w·s·B·A) as one `.safetensors` download, and
/// `GET /adapters/NAME/merge/FILE` for the files a model folder needs beside
/// it (config.json, tokenizer files) — together what `lorad merge` writes.
///
/// The body is byte for byte `lorad merge`'s model.safetensors for the same
/// inputs (both are `MergePlan`), streamed by `MergeStream` a bounded chunk
/// at a time with the next chunk computed while the previous one is sent;
/// the work runs off the engine thread, so inference continues meanwhile.
/// A client that goes away stops the computation at the next chunk.
struct MergeHandler {
    let service: LoadedModel
    /// The base model folder the engine's weights were loaded from.
    let modelFolder: URL

    /// The `type` of the 503 a download past `max_merge_downloads` gets.
    static let busyErrorType = "merge_downloads_full"

    /// Returns the adapter spec merged (for the access log).
    func download(_ request: HTTPRequest, _ response: HTTPResponse) async throws -> String {
        try service.auth.requireAdmin(request)
        let name = request.adapterNameParameter
        let spec = try Self.spec(name: name, query: request.query("adapter"))
        let dtype = try Self.dtype(request.query("dtype"))
        // Each download in progress holds merged chunks, a lease and a
        // thread's worth of work, however slowly its client reads.
        let downloads = service.mergeDownloads
        guard downloads.tryEnter() else {
            throw HTTPError(.serviceUnavailable,
                            "\(downloads.limit) merge downloads are already in progress (max_merge_downloads); retry shortly",
                            headers: ["Retry-After": "5"], type: Self.busyErrorType)
        }
        defer { downloads.leave() }
        let cache = service.cache
        let lease = try await BlockingWork.compute { try cache.lease(spec) }
        let folder = modelFolder, loadedFiles = service.modelFiles
        let stream = try await BlockingWork.compute { () -> MergeStream in
            let checkpoint: Checkpoint
            do { checkpoint = try Checkpoint(folder: folder) } catch {
                // The files were read at load: failing now, they changed since.
                if !loadedFiles.isEmpty { throw Self.weightsChanged("they cannot be read now: \(error)") }
                throw APIError.internalError("cannot open the base checkpoint for merging: \(error)")
            }
            // The weights are read again from disk: they must be the files
            // the served model came from, or the download is another model.
            if !loadedFiles.isEmpty, checkpoint.identities != loadedFiles {
                let changed = zip(loadedFiles, checkpoint.identities).first { $0 != $1 }
                throw Self.weightsChanged(changed.map { "\($0.0) is now \($0.1)" } ?? "other files")
            }
            let plan = try MergePlan(base: checkpoint, adapters: lease.uses, outputDType: dtype)
            // Once the status line is out, a failure can only cut the file
            // short: what could fail is checked first.
            try plan.checkValues()
            return try MergeStream(plan: plan, releasesMappedPages: true)
        }
        let start = ContinuousClock.now
        try await response.start(.ok, headers: [
            "Content-Type": "application/octet-stream",
            "Content-Disposition": "attachment; filename=\"\(Self.fileStem(name))-merged.safetensors\"",
        ], contentLength: stream.byteCount)
        var current = try await BlockingWork.compute { try stream.next() }
        while let chunk = current {
            if response.isCancelled { throw HTTPConnectionError.clientDisconnected }
            async let following = BlockingWork.compute { try stream.next() }
            try await response.write(chunk)
            current = try await following
        }
        try await response.finish()
        withExtendedLifetime(lease) {}   // the adapters stay leased (never evicted) until the last byte
        let seconds = (ContinuousClock.now - start).seconds
        service.logger.info("merged model sent", ["adapter": spec.description, "bytes": stream.byteCount,
                                                  "dtype": dtype?.rawValue ?? "checkpoint",
                                                  "seconds": LogValue(seconds, decimals: 2)])
        return spec.description
    }

    /// `GET /adapters/NAME/merge/FILE`: a companion file of the base folder
    /// (`MergeCompanionFiles.names`); config.json with its dtype set by `?dtype=`.
    func companion(_ request: HTTPRequest, _ response: HTTPResponse) async throws {
        try service.auth.requireAdmin(request)
        let name = request.adapterNameParameter
        let spec = try Self.spec(name: name, query: request.query("adapter"))
        for term in spec.terms where try service.registry.record(named: term.name) == nil {
            throw RegistryError.notFound(term.name)
        }
        let file = request.parameter("file") ?? ""
        let data = try MergeCompanionFiles.contents(file, folder: modelFolder, dtype: try Self.dtype(request.query("dtype")),
                                                    loaded: service.companionFiles)
        let type = file.hasSuffix(".json") ? "application/json" : "application/octet-stream"
        try await response.send(.ok, headers: ["Content-Type": type], data: data)
    }

    /// The mix to merge: `?adapter=` when given (it must include NAME), else
    /// the path's NAME (itself a spec, so `/adapters/a:0.5/merge` works).
    static func spec(name: String, query: String?) throws -> AdapterSpec {
        guard let query, !query.isEmpty else { return try AdapterSpec(parsing: name) }
        let spec = try AdapterSpec(parsing: query)
        let named = try AdapterSpec(parsing: name).terms.map(\.name)
        guard named.allSatisfy({ n in spec.terms.contains { $0.name == n } }) else {
            throw APIError.badRequest("adapter spec '\(query)' does not include '\(name)' named in the path")
        }
        return spec
    }

    /// 409 for a download whose checkpoint is no longer the served model's.
    static func weightsChanged(_ detail: String) -> HTTPError {
        HTTPError(.conflict, "the model's weight files changed on disk since lorad loaded them (\(detail)): "
            + "a merge would not be of the model being served; restart lorad to serve the new ones", type: "conflict_error")
    }

    static func dtype(_ text: String?) throws -> DType? {
        guard let text, !text.isEmpty else { return nil }
        guard let dtype = DType(userSpelling: text) else {
            throw APIError.badRequest("dtype '\(text)' is not one of f32, bf16, f16")
        }
        return dtype
    }

    /// NAME for a file name: spec punctuation (`:`, `,`) becomes `_`, and
    /// a hub id's `/` becomes `--` as in the hub cache's `models--ORG--NAME`
    /// (unambiguous: a hub id never contains `--`), so `ORG/NAME` downloads
    /// as `ORG--NAME-merged.safetensors`, never a path.
    static func fileStem(_ name: String) -> String {
        name.split(separator: "/", omittingEmptySubsequences: false)
            .map { String($0.map { $0 == ":" || $0 == "," ? "_" : $0 }) }
            .joined(separator: "--")
    }
}
