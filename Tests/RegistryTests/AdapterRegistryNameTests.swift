import Foundation
import Testing
import AdapterNaming
@testable import Registry

/// The registry refuses exactly the names `AdapterName` refuses, with its
/// reason, and stores nothing for them.
@Suite struct AdapterRegistryNameTests {
    @Test(arguments: ["", "../x", ".hidden", "-", "...", "with space", String(repeating: "z", count: 65)])
    func invalidNamesAreRefusedWithTheSharedRule(name: String) throws {
        let error = try #require(throws: RegistryError.self) { try AdapterRegistry.validateName(name) }
        #expect(error == .invalidName(name, reason: try #require(AdapterName.brokenRule(name))))
    }

    @Test func validNamesPass() throws {
        for name in ["a", "python-qv-r8", "A.b_c-9"] { try AdapterRegistry.validateName(name) }
    }

    @Test func insertValidatesTheName() throws {
        let (registry, _) = try RegistryTestSupport.freshRegistry()
        for name in ["../escape", ".hidden"] {
            #expect(throws: RegistryError.self) {
                try registry.insert(NewAdapter(name: name, configJSON: "{}"), weights: Data(repeating: 1, count: 8))
            }
        }
        #expect(try registry.count() == 0)
    }
}
