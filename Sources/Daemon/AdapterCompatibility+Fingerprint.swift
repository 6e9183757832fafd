import Foundation
import LoRA
import Registry

extension AdapterCompatibility {
    /// What an adapter's validation depends on, hashed: the base's
    /// `config.json` bytes, the names its `base_model_name_or_path` is
    /// compared with, its family, and every linear's module path with its
    /// (out, in) shape (what `AdapterLoader` checks the LoRA factors
    /// against). Equal fingerprints mean a stored outcome still holds.
    public static func fingerprint(configJSON: Data, shapes: [LinearID: LinearShape],
                                   identity: BaseModelIdentity?) -> String {
        var hasher = SHA256()
        func field(_ text: String) {
            // Length-prefixed, so no two different inputs hash the same text.
            hasher.update(Array("\(text.utf8.count):".utf8))
            hasher.update(Array(text.utf8))
        }
        hasher.update(Array("\(configJSON.count):".utf8))
        hasher.update(configJSON)
        field(identity?.modelType ?? "")
        for name in identity?.names ?? [] { field(name) }
        for (id, shape) in shapes.sorted(by: { $0.key < $1.key }) {
            field("\(id.modulePath) \(shape.outFeatures) \(shape.inFeatures)")
        }
        return hasher.finalizeHex()
    }
}
