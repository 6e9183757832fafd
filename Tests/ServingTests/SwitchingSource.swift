import Foundation
import Synchronization
import TestSupport
@testable import Serving

/// Adapter `a` as one fixture folder or another, each read tagged with a
/// version number as the registry tags a payload with its generation: a
/// replace is `replace(with:)` and then the cache's `invalidate("a")`.
final class SwitchingSource: AdapterSource {
    private let current: Mutex<(fixture: String, version: Int64)>

    init(_ fixture: String) { current = Mutex((fixture, 1)) }

    func payload(of name: String) throws -> AdapterPayload {
        guard name == "a" else { throw AdapterSourceError.unknownAdapter(name) }
        let (fixture, version) = current.withLock { $0 }
        let files = try FolderAdapterSource(folders: [name: Fixtures.adapter(fixture)]).payload(of: name)
        return AdapterPayload(name: name, configJSON: files.configJSON, weights: files.weights, version: version)
    }

    /// The next version is `fixture`.
    func replace(with fixture: String) {
        current.withLock { $0 = (fixture, $0.version + 1) }
    }
}
