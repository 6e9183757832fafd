import FileReading
import Foundation
import SafeTensors

/// Adapters from PEFT folders on disk (`adapter_config.json` +
/// `adapter_model.safetensors`), for the offline CLI and tests; the daemon
/// uses the SQLite registry instead.
public struct FolderAdapterSource: AdapterSource {
    /// name → folder
    public let folders: [String: URL]

    public init(folders: [String: URL]) { self.folders = folders }

    private func folder(_ name: String) throws -> URL {
        guard let url = folders[name] else { throw AdapterSourceError.unknownAdapter(name) }
        return url
    }

    public func payload(of name: String) throws -> AdapterPayload {
        let url = try folder(name)
        let config = url.appendingPathComponent("adapter_config.json")
        let weights = url.appendingPathComponent("adapter_model.safetensors")
        let configData: Data
        do { configData = try RegularFile.read(config.path, limit: .adapterConfig) } catch {
            throw AdapterSourceError.unreadable(name: name, problem: error.description)
        }
        let weightData: Data
        do { weightData = try Data(mapping: weights.path) } catch {
            throw AdapterSourceError.unreadable(name: name, problem: error.description)
        }
        return AdapterPayload(name: name, configJSON: configData, weights: weightData)
    }
}
