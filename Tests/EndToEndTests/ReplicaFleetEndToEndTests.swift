import Foundation
import Testing
import TestSupport

/// Three lorad replicas on loopback sharing one folder of adapters, as behind
/// the Gateway API Inference Extension: adapters resolved from the folder on
/// first use, vLLM's load/unload endpoints, and a router that scores
/// replicas as the endpoint picker's LoRA-affinity scorer does.
@Suite(.serialized) struct ReplicaFleetEndToEndTests {
    static let adminToken = "fleet-admin"
    static var admin: [String] { ["Authorization: Bearer \(adminToken)"] }

    /// A copy of fixture adapter `fixture` as `dir/name`.
    @discardableResult
    static func place(_ fixture: String, as name: String, in dir: URL) throws -> URL {
        let folder = dir.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for file in ["adapter_config.json", "adapter_model.safetensors"] {
            try FileManager.default.copyItem(at: Fixtures.adapter(fixture).appendingPathComponent(file),
                                             to: folder.appendingPathComponent(file))
        }
        return folder
    }

    /// `count` replicas, each with its own registry, all reading `shared`.
    static func replicas(_ count: Int, shared: URL, in dir: URL, extra: [String] = []) throws -> [LoradProcess] {
        let token = dir.appendingPathComponent("admin.token")
        try Data("\(adminToken)\n".utf8).write(to: token)
        return try (0..<count).map { i in
            let home = dir.appendingPathComponent("replica-\(i)")
            try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
            return try LoradProcess(directory: home, arguments: ["--adapter-dirs", shared.path,
                                                                 "--admin-token-file", token.path] + extra,
                                    logLevel: "info")
        }
    }

    static func completion(_ daemon: LoradProcess, model: String, maxTokens: Int = 24) throws -> Curl.Running {
        let refs = try References.load()
        return try Curl.startJSON(daemon.baseURL + "/v1/completions",
                                  ["prompt": refs.prompts[0].text, "max_tokens": maxTokens, "temperature": 0, "model": model])
    }

    static func text(_ response: Curl.Response) -> String? {
        guard response.status == 200, let json = try? response.json() else { return nil }
        return (json["choices"] as? [[String: Any]])?.first?["text"] as? String
    }

    /// The transformers + PEFT text of fixture `fixture` on the first prompt.
    static func reference(_ fixture: String) throws -> String {
        let refs = try References.load()
        return try #require(refs.result(fixture, refs.prompts[0].name)).generated_text
    }

    /// Polls `condition` every 10 ms until it holds; false after 30 s (a
    /// bound for something that never happens, not a speed limit).
    static func eventually(_ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if try condition() { return true }
            Thread.sleep(forTimeInterval: 0.01)
        }
        return try condition()
    }

    static func occurrences(of needle: String, in text: String) -> Int {
        text.components(separatedBy: needle).count - 1
    }

    static func load(_ daemon: LoradProcess, name: String, path: String, inPlace: Bool? = nil,
                     headers: [String] = admin) throws -> Curl.Response {
        var body: [String: Any] = ["lora_name": name, "lora_path": path]
        if let inPlace { body["load_inplace"] = inPlace }
        return try Curl.postJSON(daemon.baseURL + "/v1/load_lora_adapter", body, headers: headers)
    }

    @Test func folderAdaptersLoadAndUnloadAcrossThreeReplicas() async throws {
        try await OffCooperativePool.run {
            let dir = try Fixtures.temporaryDirectory("lorad-e2e-fleet")
            defer { try? FileManager.default.removeItem(at: dir) }
            let shared = dir.appendingPathComponent("shared")
            let outside = dir.appendingPathComponent("outside")
            try Self.place("python-qv-r8", as: "from-folder", in: shared)
            try Self.place("upper-all-r4", as: "upper-source", in: shared)
            let broken = try Self.place("python-qv-r8", as: "broken", in: shared)
            let foreign = AdapterFiles.safetensors(AdapterFiles.loraTensors(rank: 8, modules: ["self_attn.q_proj", "self_attn.v_proj"], inOverride: 64))
            try foreign.write(to: broken.appendingPathComponent("adapter_model.safetensors"))
            let escapee = try Self.place("upper-all-r4", as: "escapee", in: outside)

            let fleet = try Self.replicas(3, shared: shared, in: dir)
            defer { for r in fleet { r.cleanUp() } }
            let python = try Self.reference("python-qv-r8"), upper = try Self.reference("upper-all-r4")

            // Only in the folder: four concurrent first requests per replica, one import each.
            for replica in fleet {
                let runs = try (0..<4).map { _ in try Self.completion(replica, model: "from-folder") }
                for run in runs { #expect(Self.text(run.wait()) == python) }
                #expect(Self.occurrences(of: "adapter imported from folder", in: replica.stderr) == 1, "\(replica.stderr)")
                // Its registry row is written behind the answers, then listed.
                #expect(try Self.eventually { try Curl.get(replica.baseURL + "/adapters/from-folder").status == 200 })
            }

            // A folder that fails validation: 422, read once until its files change.
            let replica = fleet[0]
            for _ in 0..<2 { #expect(try Self.completion(replica, model: "broken").wait().status == 422) }
            #expect(Self.occurrences(of: "adapter folder fails validation", in: replica.stderr) == 1)
            try FileManager.default.removeItem(at: broken.appendingPathComponent("adapter_model.safetensors"))
            try FileManager.default.copyItem(at: AdapterFiles.fixtureWeights, to: broken.appendingPathComponent("adapter_model.safetensors"))
            #expect(Self.text(try Self.completion(replica, model: "broken").wait()) == python)

            // vLLM's load: admin only, servable there, refused twice unless in place.
            let source = shared.appendingPathComponent("upper-source").path
            #expect(try Self.load(replica, name: "loaded", path: source, headers: []).status == 401)
            #expect(try Self.load(replica, name: "loaded", path: source).status == 200)
            #expect(try Self.load(replica, name: "loaded", path: source).status == 409)
            #expect(try Self.load(replica, name: "loaded", path: shared.appendingPathComponent("from-folder").path, inPlace: true).status == 200)
            #expect(Self.text(try Self.completion(replica, model: "loaded").wait()) == python)
            #expect(try Self.load(replica, name: "loaded", path: source, inPlace: true).status == 200)
            #expect(Self.text(try Self.completion(replica, model: "loaded").wait()) == upper)
            #expect(try Self.completion(fleet[1], model: "loaded").wait().status == 404, "loaded on one replica only")

            // Paths outside adapter_dirs: directly, through a symlink, through
            // "..", and a folder inside whose weights file links outside.
            try FileManager.default.createSymbolicLink(at: shared.appendingPathComponent("link-out"), withDestinationURL: escapee)
            let half = shared.appendingPathComponent("half-out")
            try FileManager.default.createDirectory(at: half, withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: escapee.appendingPathComponent("adapter_config.json"),
                                             to: half.appendingPathComponent("adapter_config.json"))
            try FileManager.default.createSymbolicLink(at: half.appendingPathComponent("adapter_model.safetensors"),
                                                       withDestinationURL: escapee.appendingPathComponent("adapter_model.safetensors"))
            for path in [escapee.path, shared.appendingPathComponent("link-out").path, shared.path + "/../outside/escapee",
                         half.path, "/etc", "relative/x/path", outside.path + "/missing"] {
                let r = try Self.load(replica, name: "escaped", path: path)
                #expect(r.status == 403, "\(path): \(r.status) \(r.text)")
            }
            // ORG/NAME is a hub id, as in vLLM: looked up in the hub cache (`auto` here).
            let hubID = try Self.load(replica, name: "escaped", path: "relative/path")
            #expect(hubID.status == 404 && hubID.text.contains("hub cache"), "\(hubID.status) \(hubID.text)")
            #expect(try Self.load(replica, name: "escaped", path: shared.path + "/missing").status == 404)
            // Resolved from the folder by name, the escaping ones are not served either.
            #expect(try Self.completion(replica, model: "link-out").wait().status == 404)
            #expect(try Self.completion(replica, model: "half-out").wait().status == 403)
            #expect(try Curl.get(replica.baseURL + "/adapters/escaped").status == 404)

            // Durable: a restart keeps what load_lora_adapter stored.
            #expect(replica.stop() == 0)
            let again = try LoradProcess(directory: replica.directory, arguments: ["--adapter-dirs", shared.path,
                                                                                   "--admin-token-file", dir.appendingPathComponent("admin.token").path])
            defer { again.cleanUp() }
            #expect(Self.text(try Self.completion(again, model: "loaded").wait()) == upper)

            // Unload removes it (and answers 404 the second time).
            let unload = try Curl.postJSON(again.baseURL + "/v1/unload_lora_adapter", ["lora_name": "loaded"], headers: Self.admin)
            #expect(unload.status == 200, "\(unload.text)")
            #expect(try Curl.postJSON(again.baseURL + "/v1/unload_lora_adapter", ["lora_name": "loaded"], headers: Self.admin).status == 404)
            #expect(try Self.completion(again, model: "loaded").wait().status == 404)
        }
    }

    /// What the endpoint picker reads of one replica's `/metrics`.
    struct Scrape {
        var running: Set<String> = []
        var waiting: Set<String> = []
        var maxLora = 0
        /// `lorad_completions_total` by adapter.
        var completions: [String: Int] = [:]
    }

    static func scrape(_ replica: LoradProcess) throws -> Scrape {
        let text = try Curl.get(replica.baseURL + "/metrics").text
        var found = Scrape()
        let label = try Regex(#"([a-z_]+)="([^"]*)""#)
        for line in text.split(separator: "\n") {
            if line.hasPrefix("vllm:lora_requests_info{") {
                var labels: [String: String] = [:]
                for match in line.matches(of: label) {
                    labels[String(match.output[1].substring ?? "")] = String(match.output[2].substring ?? "")
                }
                func names(_ key: String) -> Set<String> { Set((labels[key] ?? "").split(separator: ",").map(String.init)) }
                found.running = names("running_lora_adapters")
                found.waiting = names("waiting_lora_adapters")
                found.maxLora = Int(labels["max_lora"] ?? "") ?? 0
            } else if line.hasPrefix("lorad_completions_total{adapter=\""), let value = line.split(separator: " ").last {
                let name = line.dropFirst("lorad_completions_total{adapter=\"".count).prefix { $0 != "\"" }
                found.completions[String(name)] = Int(Double(value) ?? 0)
            }
        }
        return found
    }

    /// The LoRA-affinity score of a replica for `adapter`: 1.0 when it runs
    /// there, 0.8 when running + waiting adapters leave a free slot under
    /// max_lora, 0.6 when it waits there, else 0.
    static func affinity(_ adapter: String, _ m: Scrape) -> Double {
        if m.running.contains(adapter) { return 1.0 }
        if m.running.count + m.waiting.count < m.maxLora { return 0.8 }
        if m.waiting.contains(adapter) { return 0.6 }
        return 0
    }

    /// A mixed workload over 12 adapters (each a copy of one of the three
    /// PEFT fixtures, in the shared folder) routed by LoRA affinity from
    /// freshly scraped metrics, highest score first, ties to the first
    /// replica: every output equals its transformers + PEFT reference, the
    /// replicas' own per-adapter counters agree with the router's choices,
    /// and each adapter runs mostly on one replica.
    @Test func aLoRAAffinityRouterKeepsEachAdapterMostlyOnOneReplica() async throws {
        try await OffCooperativePool.run {
            let dir = try Fixtures.temporaryDirectory("lorad-e2e-router")
            defer { try? FileManager.default.removeItem(at: dir) }
            let shared = dir.appendingPathComponent("shared")
            let fixtures = Fixtures.adapterNames
            let adapters = (0..<12).map { String(format: "mix-%02d", $0) }
            for (i, name) in adapters.enumerated() { try Self.place(fixtures[i % 3], as: name, in: shared) }
            let fleet = try Self.replicas(3, shared: shared, in: dir, extra: ["--max-loras", "4", "--max-batch", "4"])
            defer { for r in fleet { r.cleanUp() } }
            var expected: [String: String] = [:]
            for (i, name) in adapters.enumerated() { expected[name] = try Self.reference(fixtures[i % 3]) }

            var rng = SplitMix64(seed: 15)
            var order: [String] = []
            for _ in 0..<4 { order += adapters.shuffled(using: &rng) }
            var routed: [String: [Int]] = [:]
            var runs: [(adapter: String, run: Curl.Running)] = []
            for adapter in order {
                let scrapes = try fleet.map(Self.scrape)
                let scores = scrapes.map { Self.affinity(adapter, $0) }
                let best = scores.indices.max { scores[$0] < scores[$1] || (scores[$0] == scores[$1] && $0 > $1) } ?? 0
                routed[adapter, default: []].append(best)
                let run = try Self.completion(fleet[best], model: adapter, maxTokens: 24)
                runs.append((adapter, run))
                // Route the next one on metrics that show this one (the picker
                // scrapes every 50 ms; here the router waits for the scrape).
                let deadline = Date().addingTimeInterval(10)
                while run.isRunning, Date() < deadline {
                    let now = try Self.scrape(fleet[best])
                    if now.running.contains(adapter) || now.waiting.contains(adapter) { break }
                    Thread.sleep(forTimeInterval: 0.01)
                }
            }
            for (adapter, run) in runs {
                let response = run.wait()
                #expect(Self.text(response) == expected[adapter], "\(adapter): \(response.status) \(response.text.prefix(200))")
            }

            // Each replica counted exactly the requests routed to it (a request
            // is counted just after its response is sent: wait for the last).
            var final = try fleet.map(Self.scrape)
            let counted = Date().addingTimeInterval(10)
            while final.reduce(0, { $0 + $1.completions.filter { $0.key.hasPrefix("mix-") }.values.reduce(0, +) }) < order.count,
                  Date() < counted {
                Thread.sleep(forTimeInterval: 0.02)
                final = try fleet.map(Self.scrape)
            }
            for adapter in adapters {
                for (i, scrape) in final.enumerated() {
                    #expect(scrape.completions[adapter, default: 0] == routed[adapter, default: []].filter { $0 == i }.count,
                            "\(adapter) on replica \(i)")
                }
            }
            // Affinity: the share of each adapter's requests on its busiest replica.
            let shares = adapters.map { adapter -> Double in
                let choices = routed[adapter, default: []]
                let top = (0..<fleet.count).map { r in choices.filter { $0 == r }.count }.max() ?? 0
                return Double(top) / Double(max(1, choices.count))
            }
            let mean = shares.reduce(0, +) / Double(shares.count)
            print("router: per-adapter share on its busiest replica \(shares), mean \(mean)")
            #expect(shares.allSatisfy { $0 >= 0.5 }, "\(routed)")
            #expect(mean >= 0.75, "\(routed)")
        }
    }
}

