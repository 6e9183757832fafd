import FileReading
import Foundation
import HTTP1
import LoRA
import SafeTensors

/// The files of a model folder that go beside merged weights (transformers'
/// `save_pretrained` set, as `lorad merge` copies them), served by
/// `GET /adapters/NAME/merge/FILE`.
public enum MergeCompanionFiles {
    public static var names: [String] { MergedFolder.companionFiles }

    /// The companion files of `folder` as they are now (name → identity),
    /// taken when the model is loaded: what `contents` must find again.
    static func identities(in folder: URL) -> [String: FileIdentity] {
        var found: [String: FileIdentity] = [:]
        for name in names {
            if let file = try? RegularFile(opening: folder.appendingPathComponent(name).path) { found[name] = file.identity }
        }
        return found
    }

    /// The file's bytes; config.json with `torch_dtype`/`dtype` set to `dtype`
    /// when one is requested (what `lorad merge --dtype` writes).
    ///
    /// With `loaded` (the files as they were when the served model was
    /// loaded), a file that changed since — rewritten, renamed over, added
    /// or removed — is 409, as the weights are: the download would describe
    /// another model than the one served (a tokenizer or config edited
    /// without a restart).
    static func contents(_ file: String, folder: URL, dtype: DType?, loaded: [String: FileIdentity]? = nil) throws -> Data {
        guard names.contains(file) else {
            throw APIError.notFound("'\(file)' is not a model file served beside merged weights (one of \(names.joined(separator: ", ")))")
        }
        let path = folder.appendingPathComponent(file).path
        let opened: RegularFile
        do { opened = try RegularFile(opening: path) } catch {
            guard case .missing = error else { throw APIError.internalError("cannot read \(file) of the base model folder: \(error)") }
            if let loaded, loaded[file] != nil { throw changed(file, "it is gone") }
            throw APIError.notFound("the base model folder has no \(file)")
        }
        if let loaded, opened.identity != loaded[file] {
            throw changed(file, loaded[file] == nil ? "it was not there" : "it is now \(opened.identity)")
        }
        return try MergedFolder.companion(file, data: try opened.readAll(limit: .modelFile), dtype: dtype)
    }

    private static func changed(_ file: String, _ detail: String) -> HTTPError {
        HTTPError(.conflict, "the model folder's \(file) changed on disk since lorad loaded the model (\(detail)): "
            + "it would not describe the model being served; restart lorad to serve the new one", type: "conflict_error")
    }
}
