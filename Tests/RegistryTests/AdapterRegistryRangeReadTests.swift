import Foundation
import Testing
import TestSupport
@testable import Registry

@Suite struct AdapterRegistryRangeReadTests {
    /// Startup re-validation reads only the safetensors header: the u64
    /// little-endian length at 0..<8, then that many bytes of JSON.
    @Test func rangeReadReturnsTheSafetensorsHeader() throws {
        let (registry, _) = try RegistryTestSupport.freshRegistry()
        let fixture = try RegistryTestSupport.fixture("python-qv-r8")
        try registry.insert(fixture.newAdapter(), weights: fixture.weights)
        let prefix = try registry.readWeights(named: fixture.folder, range: 0..<8)
        #expect(prefix == fixture.weights.prefix(8))
        let headerLength = prefix.withUnsafeBytes { Int64(littleEndian: $0.loadUnaligned(as: Int64.self)) }
        let header = try registry.readWeights(named: fixture.folder, range: 8..<(8 + headerLength))
        #expect(header == fixture.weights[8..<(8 + Int(headerLength))])
        #expect(try JSONSerialization.jsonObject(with: header) is [String: Any])
        // Clipped at the end; empty past it.
        let size = Int64(fixture.weights.count)
        #expect(try registry.readWeights(named: fixture.folder, range: (size - 4)..<(size + 100))
                == fixture.weights.suffix(4))
        #expect(try registry.readWeights(named: fixture.folder, range: (size + 1)..<(size + 9)).isEmpty)
        #expect(throws: RegistryError.notFound("nope")) { try registry.readWeights(named: "nope", range: 0..<8) }
    }
}
