import Foundation
import Registry

/// Opens a daemon's registry file directly (after the daemon stopped) to
/// check it the way an operator would: `PRAGMA integrity_check` and the rows.
enum RegistryProbe {
    struct Report {
        var integrity: String
        /// name → sha256 of the recorded rows.
        var hashes: [String: String]
        /// Names whose stored bytes no longer hash to the recorded sha256.
        var corrupt: [String]
    }

    static func check(_ url: URL) throws -> Report {
        let registry = try AdapterRegistry(path: url.path)
        defer { registry.close() }
        var hashes: [String: String] = [:]
        var corrupt: [String] = []
        for record in try registry.list() {
            hashes[record.name] = record.sha256
            if try !registry.verify(named: record.name) { corrupt.append(record.name) }
        }
        return Report(integrity: try registry.integrityCheck(), hashes: hashes, corrupt: corrupt)
    }
}
