import Foundation
import Registry
import Testing
import TestSupport

/// A registry of 10,000 adapters, written directly (uploads would take
/// minutes): the daemon starts without touching them, pages through them,
/// and serves any of them — three hold the PEFT fixture's files and must
/// reproduce its transformers + PEFT reference text.
@Suite struct RegistryScaleEndToEndTests {
    static let count = 10_000

    static func name(_ i: Int) -> String { "adapter-" + String(format: "%05d", i) }

    @Test func tenThousandAdaptersStartPageAndServe() async throws {
        try await OffCooperativePool.run {
            let dir = try Fixtures.temporaryDirectory("lorad-e2e-scale")
            defer { try? FileManager.default.removeItem(at: dir) }
            var rng = SystemRandomNumberGenerator()
            // Where the fixture's files go; every other row is a rank-1 q_proj adapter.
            let fixtureRows: Set<Int> = [0, Int.random(in: 1..<(Self.count - 1), using: &rng), Self.count - 1]
            let fixtureConfig = try String(contentsOf: AdapterFiles.fixtureConfig, encoding: .utf8)
            let fixtureWeights = try Data(contentsOf: AdapterFiles.fixtureWeights)
            let tinyConfig = AdapterFiles.config(rank: 1, alpha: 1, targets: ["q_proj"])
            let tinyWeights = AdapterFiles.safetensors(AdapterFiles.loraTensors(rank: 1, modules: ["self_attn.q_proj"]))
            let registry = try AdapterRegistry(path: dir.appendingPathComponent("registry.sqlite").path,
                                               options: .init(synchronous: .normal))
            // Inserted out of name order, as a fleet's uploads would be.
            for i in (0..<Self.count).shuffled(using: &rng) {
                let isFixture = fixtureRows.contains(i)
                _ = try registry.insert(NewAdapter(name: Self.name(i), configJSON: isFixture ? fixtureConfig : tinyConfig,
                                                   ranks: [isFixture ? 8 : 1], alpha: isFixture ? 16 : 1,
                                                   scale: isFixture ? 2 : 1,
                                                   targetModules: isFixture ? ["q_proj", "v_proj"] : ["q_proj"],
                                                   baseModelId: "tiny-llama"),
                                        weights: isFixture ? fixtureWeights : tinyWeights)
            }
            registry.close()

            let daemon = try LoradProcess(directory: dir, logLevel: "info")
            defer { daemon.cleanUp() }
            #expect(try Curl.get(daemon.baseURL + "/health").status == 200)
            #expect(daemon.stderr.contains("adapters=\(Self.count)"), "\(daemon.stderr)")

            // The first page, then every page: all names once, in order.
            let first = try Curl.get(daemon.baseURL + "/adapters?limit=100").json()
            let firstItems = try #require(first["data"] as? [[String: Any]])
            #expect(firstItems.map { $0["id"] as? String ?? "?" } == (0..<100).map(Self.name))
            #expect(first["has_more"] as? Bool == true)
            #expect(first["last_id"] as? String == Self.name(99))
            #expect(firstItems.allSatisfy { $0["compatible"] is NSNull }, "start-up checks nothing")
            var names: [String] = []
            var after: String?
            repeat {
                let page = try Curl.get(daemon.baseURL + "/adapters?limit=1500" + (after.map { "&after=\($0)" } ?? "")).json()
                let items = try #require(page["data"] as? [[String: Any]])
                names += items.map { $0["id"] as? String ?? "?" }
                after = page["has_more"] as? Bool == true ? page["last_id"] as? String : nil
            } while after != nil
            #expect(names == (0..<Self.count).map(Self.name))

            // /v1/models: the base first, adapters with the base as parent.
            let models = try #require(try Curl.get(daemon.baseURL + "/v1/models?limit=3").json()["data"] as? [[String: Any]])
            #expect(models.map { $0["id"] as? String ?? "?" } == ["tiny-llama", Self.name(0), Self.name(1)])
            #expect(models.dropFirst().allSatisfy { $0["parent"] as? String == "tiny-llama" })
            let next = try #require(try Curl.get(daemon.baseURL + "/v1/models?limit=2&after=\(Self.name(1))").json()["data"] as? [[String: Any]])
            #expect(next.map { $0["id"] as? String ?? "?" } == [Self.name(2), Self.name(3)])

            // Any of them serves: the fixture rows equal the PEFT reference,
            // tiny rows (identical files under other names) equal each other.
            let refs = try References.load()
            let prompt = refs.prompts[0]
            let expected = try #require(refs.result("python-qv-r8", prompt.name)).generated_text
            for i in fixtureRows.sorted() {
                let text = try ServingEndToEndTests.complete(daemon, prompt: prompt.text, fields: ["model": Self.name(i)]).text
                #expect(text == expected, "\(Self.name(i))")
            }
            let tinyRows = (0..<3).map { _ in
                var i = 0
                repeat { i = Int.random(in: 1..<Self.count, using: &rng) } while fixtureRows.contains(i)
                return i
            }
            let tinyTexts = try tinyRows.map {
                try ServingEndToEndTests.complete(daemon, prompt: prompt.text, fields: ["model": Self.name($0)]).text
            }
            #expect(Set(tinyTexts).count == 1, "\(tinyRows): \(tinyTexts)")
            // Used once, so checked: the listing shows the verdict now.
            let used = try Curl.get(daemon.baseURL + "/adapters?limit=1&after=\(Self.name(tinyRows[0] - 1))").json()
            let usedItem = try #require((used["data"] as? [[String: Any]])?.first)
            #expect(usedItem["id"] as? String == Self.name(tinyRows[0]))
            #expect(usedItem["compatible"] as? Bool == true)
        }
    }
}
