import Foundation
import LoRA
import SafeTensors
import Testing
import TestSupport

/// DoRA adapters (PEFT `use_dora`) through the real binary: upload and
/// metadata, served text against transformers + PEFT's references in batches
/// shared with plain LoRA and base requests, `NAME:w` against the merge of that
/// weight served as a base, the merge download against PEFT's
/// `merge_and_unload` and `lorad merge`, live merge, and the refusals (each
/// naming the tensor or module, the registry unchanged).
@Suite(.serialized) struct DoRAEndToEndTests {
    static let adapters = ["python-qv-r8"] + Fixtures.doraAdapterNames
    static let admin = MergeEndToEndTests.admin
    /// The references are F32 runs, and dora-qv-r8 on the `newlines` prompt
    /// reaches a step whose top two logits are 9.5e-5 apart: the default F16
    /// KV cache rounds across that tie, so these daemons cache in F32.
    static let f32Cache = ["--kv-dtype", "f32"]

    /// (adapter or nil for the base, its references file's variant, that file).
    static func variants() throws -> [(adapter: String?, variant: String, refs: References)] {
        let plain = try References.load(), dora = try References.load(Fixtures.doraReferences)
        return [(nil, "base", plain), ("python-qv-r8", "python-qv-r8", plain)]
            + Fixtures.doraAdapterNames.map { ($0, $0, dora) }
    }

    /// Every prompt under every variant, all requests in flight at once (so
    /// DoRA, plain LoRA and base rows share engine steps); each text must be
    /// the reference's greedy text.
    static func expectReferenceTextsInOneMix(_ daemon: LoradProcess, _ context: String) throws {
        let variants = try variants()
        let prompts = variants[0].refs.prompts
        var runs: [(String, String, String, Curl.Running)] = []
        for v in variants {
            for prompt in prompts {
                let ref = try #require(v.refs.result(v.variant, prompt.name))
                var body: [String: Any] = ["prompt": prompt.text, "max_tokens": v.refs.generation.max_new_tokens, "temperature": 0]
                if let adapter = v.adapter { body["adapter"] = adapter }
                runs.append((v.variant, prompt.name, ref.generated_text,
                             try Curl.startJSON(daemon.baseURL + "/v1/completions", body)))
            }
        }
        for (variant, prompt, expected, run) in runs {
            let r = run.wait()
            let text = ((try? r.json())?["choices"] as? [[String: Any]])?.first?["text"] as? String
            #expect(text == expected, "\(context): \(variant) on \(prompt): \(r.status) \(r.text.prefix(200))")
        }
    }

    @Test func doraAdaptersUploadShowDoRAAndServeTheirReferencesInMixedBatches() throws {
        let daemon = try MergeEndToEndTests.daemon(Self.f32Cache, adapters: Self.adapters)
        defer { daemon.cleanUp() }
        for name in Self.adapters {
            let meta = try Curl.get(daemon.baseURL + "/adapters/" + name).json()
            #expect(meta["dora"] as? Bool == name.hasPrefix("dora"), "GET /adapters/\(name): \(meta)")
        }
        let list = try #require(try Curl.get(daemon.baseURL + "/adapters").json()["data"] as? [[String: Any]])
        #expect(Dictionary(uniqueKeysWithValues: list.map { ($0["name"] as? String ?? "?", $0["dora"] as? Bool) })
                == ["python-qv-r8": false, "dora-qv-r8": true, "dora-all-r4-rslora": true])
        let a = try Curl.get(daemon.baseURL + "/adapters/dora-all-r4-rslora").json()
        #expect(a["ranks"] as? [Int] == [4])
        #expect(Set(a["target_modules"] as? [String] ?? []) == ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"])

        try Self.expectReferenceTextsInOneMix(daemon, "mixed batch")

        // `dora-qv-r8:1` is the adapter itself.
        let refs = try References.load(Fixtures.doraReferences)
        let first = refs.prompts[0]
        let one = try Curl.postJSON(daemon.baseURL + "/v1/completions",
                                    ["prompt": first.text, "max_tokens": 24, "temperature": 0, "adapter": "dora-qv-r8:1"])
        #expect((try one.json()["choices"] as? [[String: Any]])?.first?["text"] as? String
                == refs.result("dora-qv-r8", first.name)?.generated_text, "\(one.text.prefix(200))")

        // A combination with a DoRA adapter: 400 naming it, for completions and the merge endpoint.
        for mix in ["dora-qv-r8:0.5,python-qv-r8:0.5", "dora-qv-r8,dora-all-r4-rslora"] {
            let r = try Curl.postJSON(daemon.baseURL + "/v1/completions", ["prompt": "x", "max_tokens": 2, "adapter": mix])
            #expect(r.status == 400, "\(mix): \(r.text)")
            #expect(r.errorMessage?.contains("dora-qv-r8") == true && r.errorMessage?.contains("DoRA") == true, "\(r.text)")
        }

        // Restart on the same registry: the dora flag comes back from SQLite.
        #expect(daemon.stop() == 0)
        let again = try LoradProcess(directory: daemon.directory, arguments: Self.f32Cache)
        defer { again.kill9() }
        for name in Self.adapters {
            #expect(try Curl.get(again.baseURL + "/adapters/" + name).json()["dora"] as? Bool == name.hasPrefix("dora"), "\(name) after restart")
        }
        let after = try Curl.postJSON(again.baseURL + "/v1/completions",
                                      ["prompt": first.text, "max_tokens": 24, "temperature": 0, "adapter": "dora-all-r4-rslora"])
        #expect((try after.json()["choices"] as? [[String: Any]])?.first?["text"] as? String
                == refs.result("dora-all-r4-rslora", first.name)?.generated_text)
        #expect(again.stop() == 0)
    }

    /// The merge download of a DoRA adapter equals PEFT's merged model within
    /// 1e-5 and `lorad merge` byte for byte; `NAME:w` served unmerged gives the
    /// same text as the merge at that weight served as a base model.
    @Test func doraMergeDownloadMatchesPEFTAndTheCLIAndWeightedServingMatchesItsMerge() throws {
        let daemon = try MergeEndToEndTests.daemon(Self.f32Cache, adapters: Self.adapters)
        defer { daemon.cleanUp() }
        let dl = try MergeEndToEndTests.download(daemon, "/adapters/dora-qv-r8/merge")
        try #require(dl.status == 200, "\(String(decoding: dl.body.prefix(300), as: UTF8.self))")
        let got = try SafeTensorsFile(data: dl.body, name: "download")
        let ref = try SafeTensorsFile(contentsOf: Fixtures.mergedDoRAQV.appendingPathComponent("model.safetensors"))
        #expect(got.tensors.map(\.name).sorted() == ref.tensors.map(\.name).sorted())
        for info in ref.tensors {
            let a = try got.floats(info.name), b = try ref.floats(info.name)
            let worst = zip(a, b).map { abs($0 - $1) }.max() ?? 0
            #expect(a.count == b.count && worst <= 1e-5, "\(info.name): max |Δ| \(worst)")
        }
        #expect(dl.body == (try MergeEndToEndTests.cliMerge([Fixtures.adapter("dora-qv-r8").path])))

        let half = try MergeEndToEndTests.download(daemon, "/adapters/dora-qv-r8/merge?adapter=dora-qv-r8:0.5")
        try #require(half.status == 200, "\(String(decoding: half.body.prefix(300), as: UTF8.self))")
        #expect(half.body == (try MergeEndToEndTests.cliMerge([Fixtures.adapter("dora-qv-r8").path + ":0.5"])))
        #expect(half.body != dl.body)

        let mix = try MergeEndToEndTests.download(daemon, "/adapters/dora-qv-r8/merge?adapter=dora-qv-r8:0.5,python-qv-r8:0.5")
        #expect(mix.status == 400)
        #expect(String(decoding: mix.body, as: UTF8.self).contains("DoRA"))

        // The 0.5 merge as a base model versus `dora-qv-r8:0.5` served unmerged.
        let folder = try Fixtures.temporaryDirectory("lorad-dora-half")
        defer { try? FileManager.default.removeItem(at: folder) }
        try half.body.write(to: folder.appendingPathComponent("model.safetensors"))
        for file in ["config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"] {
            try FileManager.default.copyItem(at: Fixtures.tinyLlama.appendingPathComponent(file), to: folder.appendingPathComponent(file))
        }
        let merged = try LoradProcess(arguments: ["--model", folder.path] + Self.f32Cache)
        defer { merged.cleanUp() }
        let refs = try References.load(Fixtures.doraReferences)
        let unmerged = try MergeEndToEndTests.greedyTexts(daemon, variant: "dora-qv-r8:0.5", refs: refs)
        let asBase = try MergeEndToEndTests.greedyTexts(merged, variant: nil, refs: refs)
        for prompt in refs.prompts {
            #expect(unmerged[prompt.name] == asBase[prompt.name], "dora-qv-r8:0.5 on \(prompt.name)")
        }
        // The weight matters: the half-weight text is not the full adapter's everywhere.
        #expect(refs.prompts.contains { asBase[$0.name] != refs.result("dora-qv-r8", $0.name)?.generated_text })
    }

    /// `NAME:0` of a DoRA adapter is PEFT at scaling 0 (m / ‖W0‖ still
    /// scales every row), not the base, on every path: served, its logprobs
    /// are continuous with `NAME:0.000001` and differ from the base's; the
    /// merge download equals `lorad merge DIR:0` and changes the adapted
    /// tensors; the live merge changes the weights, keeps the base exact for
    /// other requests, and DELETE restores them.
    @Test func doraAtWeightZeroIsServedAndMergedWithItsMagnitude() throws {
        let daemon = try MergeEndToEndTests.daemon(Self.f32Cache, adapters: Self.adapters)
        defer { daemon.cleanUp() }
        let prompt = try References.load().prompts[0].text
        /// The first token's top-5 logprobs.
        func logprobs(_ adapter: String?) throws -> [String: Double] {
            var body: [String: Any] = ["prompt": prompt, "max_tokens": 1, "temperature": 0, "logprobs": 5]
            if let adapter { body["adapter"] = adapter }
            let r = try Curl.postJSON(daemon.baseURL + "/v1/completions", body)
            try #require(r.status == 200, "\(adapter ?? "base"): \(r.text)")
            let choice = try #require((try r.json()["choices"] as? [[String: Any]])?.first)
            let top = (choice["logprobs"] as? [String: Any])?["top_logprobs"] as? [[String: Double]]
            return try #require(top?.first)
        }
        /// The largest difference over the tokens both list (infinite when none).
        func distance(_ a: [String: Double], _ b: [String: Double]) -> Double {
            let shared = a.keys.filter { b[$0] != nil }
            return shared.isEmpty ? .infinity : shared.map { abs((a[$0] ?? 0) - (b[$0] ?? 0)) }.max() ?? 0
        }
        let zero = try logprobs("dora-qv-r8:0"), tiny = try logprobs("dora-qv-r8:0.000001"), base = try logprobs(nil)
        let jump = distance(zero, tiny), apart = distance(zero, base)
        #expect(Set(zero.keys) == Set(tiny.keys) && jump < 1e-3, "weight 0 → 1e-6 moves a logprob by \(jump)")
        #expect(apart > 1e-2, "weight 0 is served as the base (max |Δ| \(apart))")

        let dl = try MergeEndToEndTests.download(daemon, "/adapters/dora-qv-r8/merge?adapter=dora-qv-r8:0")
        try #require(dl.status == 200, "\(String(decoding: dl.body.prefix(300), as: UTF8.self))")
        #expect(dl.body == (try MergeEndToEndTests.cliMerge([Fixtures.adapter("dora-qv-r8").path + ":0"])))
        let got = try SafeTensorsFile(data: dl.body, name: "download")
        let w0 = try SafeTensorsFile(contentsOf: Fixtures.tinyLlama.appendingPathComponent("model.safetensors"))
        let q = "model.layers.0.self_attn.q_proj.weight", k = "model.layers.0.self_attn.k_proj.weight"
        #expect(try got.floats(q) != w0.floats(q), "the adapted tensor is not W0")
        #expect(try got.floats(k) == w0.floats(k), "an untargeted tensor is W0")

        let original = try MergeEndToEndTests.merged(daemon)
        let put = try MergeEndToEndTests.putMerged(daemon, "dora-qv-r8:0")
        #expect(put.status == 200, "\(put.text)")
        let during = try MergeEndToEndTests.merged(daemon)
        #expect(during.adapter == "dora-qv-r8:0.0" && during.checksum != original.checksum, "\(during)")
        #expect(distance(try logprobs(nil), base) < 1e-4, "the base stays exact")
        #expect(distance(try logprobs("dora-qv-r8:0"), zero) < 1e-4, "the merged spec serves the same")
        #expect(try Curl.delete(daemon.baseURL + "/merged", headers: [Self.admin]).status == 200)
        #expect(try MergeEndToEndTests.merged(daemon).checksum == original.checksum)
    }

    /// `PUT /merged` of a DoRA adapter: every variant keeps its reference
    /// text while it is merged, and DELETE restores the weights bit for bit.
    /// An adapter with a zero factor somewhere is refused with 422 naming the
    /// module and row, and nothing changes.
    @Test func liveMergedDoRAKeepsEveryVariantExactAndAZeroFactorIsRefused() throws {
        let daemon = try MergeEndToEndTests.daemon(Self.f32Cache, adapters: Self.adapters)
        defer { daemon.cleanUp() }
        let original = try MergeEndToEndTests.merged(daemon)
        let put = try MergeEndToEndTests.putMerged(daemon, "dora-qv-r8")
        #expect(put.status == 200, "\(put.text)")
        #expect(try MergeEndToEndTests.merged(daemon).adapter == "dora-qv-r8")
        try Self.expectReferenceTextsInOneMix(daemon, "while dora-qv-r8 is live-merged")
        #expect(try Curl.delete(daemon.baseURL + "/merged", headers: [Self.admin]).status == 200)
        #expect(try MergeEndToEndTests.merged(daemon).checksum == original.checksum)

        // dora-qv-r8 with the magnitude of row 3 of layer 1's v_proj zeroed:
        // it serves (that output row is 0) but cannot be live-merged.
        let m = DoRAUpload.magnitude(1, "self_attn.v_proj")
        let zeroed = try DoRAUpload.tensors().map { t in
            var t = t; if t.name == m { t.values[3] = 0 }; return t
        }
        let up = try DoRAUpload.upload(daemon, name: "dora-zero-row", zeroed, headers: [Self.admin])
        #expect(up.status == 201, "\(up.text)")
        let refused = try MergeEndToEndTests.putMerged(daemon, "dora-zero-row")
        #expect(refused.status == 422, "\(refused.text)")
        let message = refused.errorMessage ?? ""
        #expect(message.contains("model.layers.1.self_attn.v_proj") && message.contains("row 3"), "\(message)")
        let now = try MergeEndToEndTests.merged(daemon)
        #expect(now.adapter == nil && now.checksum == original.checksum)
    }

    @Test func badDoRAUploadsAreRefusedNamingTheTensorAndLeaveTheRegistryUnchanged() throws {
        let daemon = try LoradProcess()
        defer { daemon.cleanUp() }
        try ServingEndToEndTests.uploadFixtures(daemon)
        let before = try ServingEndToEndTests.listing(daemon)
        let tensors = try DoRAUpload.tensors()
        let (q2, v1, q0) = (DoRAUpload.magnitude(2, "self_attn.q_proj"), DoRAUpload.magnitude(1, "self_attn.v_proj"),
                            DoRAUpload.magnitude(0, "self_attn.q_proj"))
        let embedding = "base_model.model.model.embed_tokens.lora_magnitude_vector"
        let cases: [(String, [DoRAUpload.Tensor], [String])] = [
            ("magnitude missing", tensors.filter { $0.name != q2 }, [q2, "use_dora"]),
            ("magnitude of the wrong shape", tensors.map { t in
                var t = t; if t.name == v1 { t.shape = [128]; t.values += t.values }; return t
            }, [v1, "[128]", "[64]"]),
            ("NaN in a magnitude", tensors.map { t in
                var t = t; if t.name == q0 { t.values[17] = .nan }; return t
            }, [q0, "nan"]),
            ("DoRA on the embedding", tensors + [DoRAUpload.Tensor(name: embedding, shape: [2048], values: .init(repeating: 1, count: 2048))],
             [embedding, "embed_tokens"]),
        ]
        for (label, broken, mentions) in cases {
            let r = try DoRAUpload.upload(daemon, name: "bad-dora", broken)
            #expect(r.status == 422, "\(label): \(r.status) \(r.text.prefix(300))")
            let message = r.errorMessage ?? ""
            for fragment in mentions {
                #expect(message.contains(fragment), "\(label): message should name \(fragment): \(message)")
            }
            #expect(try ServingEndToEndTests.listing(daemon) == before, "\(label) changed the registry")
        }
        #expect(try Curl.get(daemon.baseURL + "/adapters/bad-dora").status == 404)
        // The unbroken file is accepted under that name afterwards.
        #expect(try DoRAUpload.upload(daemon, name: "bad-dora", tensors).status == 201)
    }
}

/// The dora-qv-r8 fixture as tensors, changed by a test and uploaded with its config.
enum DoRAUpload {
    struct Tensor {
        var name: String
        var shape: [Int]
        var values: [Float]
    }

    static func magnitude(_ layer: Int, _ module: String) -> String {
        "base_model.model.model.layers.\(layer).\(module).lora_magnitude_vector"
    }

    static func tensors() throws -> [Tensor] {
        let file = try SafeTensorsFile(contentsOf: Fixtures.adapter("dora-qv-r8").appendingPathComponent("adapter_model.safetensors"))
        return try file.tensors.map { Tensor(name: $0.name, shape: $0.shape, values: try file.floats($0.name)) }
    }

    static func upload(_ daemon: LoradProcess, name: String, _ tensors: [Tensor], headers: [String] = []) throws -> Curl.Response {
        let writer = try SafeTensorsWriter(entries: tensors.map { .init(name: $0.name, dtype: .f32, shape: $0.shape) },
                                           metadata: ["format": "pt"])
        var data = Data()
        let byName = Dictionary(tensors.map { ($0.name, $0.values) }, uniquingKeysWith: { a, _ in a })
        try writer.serialize(into: { data.append(contentsOf: $0) }) { entry in
            try SafeTensorsWriter.encode(byName[entry.name] ?? [], as: entry.dtype, tensor: entry.name)
        }
        let dir = try Fixtures.temporaryDirectory("lorad-dora-upload")
        defer { try? FileManager.default.removeItem(at: dir) }
        let weights = try AdapterFiles.write(data, "adapter_model.safetensors", in: dir)
        return try Curl.upload(daemon.baseURL, name: name,
                               config: Fixtures.adapter("dora-qv-r8").appendingPathComponent("adapter_config.json"),
                               weights: weights, headers: headers)
    }
}
