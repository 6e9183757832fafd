import Foundation
import LoRA
import Registry
import SafeTensors
import Testing
import TestSupport

/// `POST /adapters/NAME/merge` and live merge (`PUT/GET/DELETE /merged`) on
/// the real binary, against the PEFT `merge_and_unload` fixture, the
/// transformers references, `lorad merge` and the daemon's own weights hash.
@Suite(.serialized) struct MergeEndToEndTests {
    static let admin = "Authorization: Bearer merge-admin"

    /// A daemon with an admin token serving `model`, with `adapters` (fixture folders) uploaded.
    static func daemon(_ extra: [String] = [], model: URL = Fixtures.tinyLlama,
                       adapters: [String] = Fixtures.adapterNames) throws -> LoradProcess {
        let dir = try Fixtures.temporaryDirectory("lorad-merge-e2e")
        let token = dir.appendingPathComponent("admin.token")
        try Data("merge-admin\n".utf8).write(to: token)
        let daemon = try LoradProcess(directory: dir, arguments: ["--admin-token-file", token.path, "--max-batch", "16",
                                                                  "--model", model.path] + extra)
        for name in adapters {
            let folder = Fixtures.adapter(name)
            let r = try Curl.upload(daemon.baseURL, name: name,
                                    config: folder.appendingPathComponent("adapter_config.json"),
                                    weights: folder.appendingPathComponent("adapter_model.safetensors"), headers: [admin])
            try #require(r.status == 201, "upload \(name): \(r.status) \(r.text)")
        }
        return daemon
    }

    /// `curl -X POST … -D headers -o body`: status, headers (lowercased names), body.
    static func download(_ daemon: LoradProcess, _ path: String, headers: [String] = [admin])
        throws -> (status: Int, headers: [String: String], body: Data) {
        let dir = try Fixtures.temporaryDirectory("lorad-merge-dl")
        defer { try? FileManager.default.removeItem(at: dir) }
        let headerFile = dir.appendingPathComponent("headers")
        let r = try Curl.run(["-X", "POST", "-D", headerFile.path] + headers.flatMap { ["-H", $0] } + [daemon.baseURL + path])
        var fields: [String: String] = [:]
        for line in ((try? String(contentsOf: headerFile, encoding: .utf8)) ?? "").split(separator: "\r\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return (r.status, fields, r.body)
    }

    /// `lorad merge` of the fixture adapters (DIR[:W]) into a fresh folder; its model.safetensors.
    static func cliMerge(_ adapters: [String], dtype: String? = nil) throws -> Data {
        let out = try Fixtures.temporaryDirectory("lorad-merge-cli")
        defer { try? FileManager.default.removeItem(at: out) }
        var args = ["merge", "--model", Fixtures.tinyLlama.path, "--out", out.path]
        for a in adapters { args += ["--adapter", a] }
        if let dtype { args += ["--dtype", dtype] }
        let r = try LoradBinary.run(args)
        try #require(r.status == 0, "lorad merge: \(r.stderr)")
        return try Data(contentsOf: out.appendingPathComponent("model.safetensors"))
    }

    static func greedyTexts(_ daemon: LoradProcess, variant: String?, refs: References) throws -> [String: String] {
        var out: [String: String] = [:]
        let runs = try refs.prompts.map { prompt -> (String, Curl.Running) in
            var body: [String: Any] = ["prompt": prompt.text, "max_tokens": refs.generation.max_new_tokens, "temperature": 0]
            if let variant { body["adapter"] = variant }
            return (prompt.name, try Curl.startJSON(daemon.baseURL + "/v1/completions", body))
        }
        for (name, run) in runs {
            let r = run.wait()
            let choice = ((try? r.json())?["choices"] as? [[String: Any]])?.first
            out[name] = r.status == 200 ? choice?["text"] as? String : "HTTP \(r.status) \(r.text)"
        }
        return out
    }

    static func expectReferenceTexts(_ daemon: LoradProcess, variant: String?, reference: String, refs: References,
                                     _ context: String) throws {
        let texts = try greedyTexts(daemon, variant: variant, refs: refs)
        for prompt in refs.prompts {
            let ref = try #require(refs.result(reference, prompt.name))
            #expect(texts[prompt.name] == ref.generated_text, "\(context): \(variant ?? "base") on \(prompt.name)")
        }
    }

    @Test func mergeDownloadMatchesPEFTAndTheCLIAndServesAsABaseModel() throws {
        let daemon = try Self.daemon()
        defer { daemon.cleanUp() }

        let dl = try Self.download(daemon, "/adapters/python-qv-r8/merge")
        try #require(dl.status == 200, "\(String(decoding: dl.body.prefix(300), as: UTF8.self))")
        #expect(dl.headers["content-type"] == "application/octet-stream")
        #expect(dl.headers["content-disposition"] == "attachment; filename=\"python-qv-r8-merged.safetensors\"")
        #expect(dl.headers["content-length"] == String(dl.body.count))

        // Against PEFT's merge_and_unload: names, dtypes, shapes, values.
        let got = try SafeTensorsFile(data: dl.body, name: "download")
        let ref = try SafeTensorsFile(contentsOf: Fixtures.mergedPythonQV.appendingPathComponent("model.safetensors"))
        #expect(got.tensors.map(\.name).sorted() == ref.tensors.map(\.name).sorted())
        for info in ref.tensors {
            let mine = try #require(got.info(info.name))
            #expect(mine.dtype == info.dtype && mine.shape == info.shape, "\(info.name)")
            let a = try got.floats(info.name), b = try ref.floats(info.name)
            let worst = zip(a, b).map { abs($0 - $1) }.max() ?? 0
            #expect(worst <= 1e-5, "\(info.name): max |Δ| \(worst)")
        }
        // CLI parity: byte-identical to `lorad merge`.
        #expect(dl.body == (try Self.cliMerge([Fixtures.adapter("python-qv-r8").path])))

        // BF16: every floating tensor BF16, values the round-to-nearest-even of the F32 merge; == `lorad merge --dtype bf16`.
        let bf = try Self.download(daemon, "/adapters/python-qv-r8/merge?dtype=bf16")
        try #require(bf.status == 200)
        let bfFile = try SafeTensorsFile(data: bf.body, name: "bf16 download")
        for info in got.tensors {
            let b = try #require(bfFile.info(info.name))
            #expect(b.dtype == .bf16 && b.shape == info.shape, "\(info.name)")
            let expected = try got.floats(info.name).map { FloatConversion.bf16ToFloat(FloatConversion.floatToBF16($0)) }
            #expect(try bfFile.floats(info.name) == expected, "\(info.name)")
        }
        #expect(bf.body == (try Self.cliMerge([Fixtures.adapter("python-qv-r8").path], dtype: "bf16")))

        // A combination merges as its weighted sum, like `lorad merge --adapter a:0.7 --adapter b:0.3`.
        let mix = try Self.download(daemon, "/adapters/python-qv-r8/merge?adapter=python-qv-r8:0.7,upper-all-r4:0.3")
        try #require(mix.status == 200)
        #expect(mix.headers["content-disposition"] == "attachment; filename=\"python-qv-r8-merged.safetensors\"")
        #expect(mix.body == (try Self.cliMerge([Fixtures.adapter("python-qv-r8").path + ":0.7",
                                               Fixtures.adapter("upper-all-r4").path + ":0.3"])))

        // The folder a user builds from the endpoints serves the merged reference text.
        let folder = try Fixtures.temporaryDirectory("lorad-merged-model")
        defer { try? FileManager.default.removeItem(at: folder) }
        try dl.body.write(to: folder.appendingPathComponent("model.safetensors"))
        for file in ["config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"] {
            let r = try Curl.get(daemon.baseURL + "/adapters/python-qv-r8/merge/" + file, headers: [Self.admin])
            try #require(r.status == 200, "\(file): \(r.status) \(r.text)")
            #expect(r.body == (try Data(contentsOf: Fixtures.tinyLlama.appendingPathComponent(file))), "\(file)")
            try r.body.write(to: folder.appendingPathComponent(file))
        }
        let second = try LoradProcess(arguments: ["--model", folder.path])
        defer { second.cleanUp() }
        try Self.expectReferenceTexts(second, variant: nil, reference: "merged-python-qv-r8", refs: try References.load(),
                                      "downloaded merge as base")
    }

    @Test func mergeErrorsMapToTheirStatuses() throws {
        let daemon = try Self.daemon()
        defer { daemon.cleanUp() }
        #expect(try Self.download(daemon, "/adapters/nope/merge").status == 404)
        #expect(try Self.download(daemon, "/adapters/python-qv-r8/merge", headers: []).status == 401)
        #expect(try Self.download(daemon, "/adapters/nope/merge", headers: []).status == 401)
        #expect(try Self.download(daemon, "/adapters/python-qv-r8/merge", headers: ["Authorization: Bearer wrong"]).status == 401)
        #expect(try Self.download(daemon, "/adapters/python-qv-r8/merge?dtype=i8").status == 400)
        #expect(try Self.download(daemon, "/adapters/python-qv-r8/merge?adapter=python-qv-r8:x").status == 400)
        #expect(try Self.download(daemon, "/adapters/python-qv-r8/merge?adapter=upper-all-r4").status == 400)
        #expect(try Curl.get(daemon.baseURL + "/adapters/python-qv-r8/merge/secrets.txt", headers: [Self.admin]).status == 404)
        #expect(try Curl.get(daemon.baseURL + "/adapters/nope/merge/config.json", headers: [Self.admin]).status == 404)
        #expect(try Curl.get(daemon.baseURL + "/adapters/python-qv-r8/merge/config.json").status == 401)
        let put = ["-X", "PUT", "-H", "Content-Type: application/json", "--data-binary"]
        #expect(try Curl.run(put + ["{\"adapter\":\"python-qv-r8\"}", daemon.baseURL + "/merged"]).status == 401)
        #expect(try Curl.run(put + ["{\"adapter\":\"nope\"}", "-H", Self.admin, daemon.baseURL + "/merged"]).status == 404)
        #expect(try Curl.run(put + ["{\"adapter\":\"a:b\"}", "-H", Self.admin, daemon.baseURL + "/merged"]).status == 400)
        #expect(try Curl.run(put + ["{\"adapter\":", "-H", Self.admin, daemon.baseURL + "/merged"]).status == 400)
        #expect(try Curl.delete(daemon.baseURL + "/merged").status == 401)
        // Hashing every weight pauses the engine: the checksum is an admin tool.
        #expect(try Curl.get(daemon.baseURL + "/merged?checksum=true").status == 401)
        #expect(try Curl.get(daemon.baseURL + "/merged").status == 200)
        // Every route's metrics label names its parameters the same way.
        let metrics = try Curl.get(daemon.baseURL + "/metrics").text
        #expect(metrics.contains(#"lorad_http_requests_total{endpoint="/adapters/{name}/merge/{file}",method="GET",status="404"} 2"#),
                "\(metrics.split(separator: "\n").filter { $0.contains("merge") })")
    }

    /// A `PUT /merged` body that names no adapter — a misspelt key, the
    /// OpenAI-style `model`, `{}`, `""`, `null`, the base's id — is 400
    /// naming the key and pointing at DELETE /merged, and the merge in
    /// place stays (it used to be silently undone with a 200).
    @Test func aPutWithoutAnAdapterIsRefusedAndLeavesTheMergeInPlace() throws {
        let daemon = try Self.daemon(adapters: ["python-qv-r8"])
        defer { daemon.cleanUp() }
        #expect(try Self.putMerged(daemon, "python-qv-r8").status == 200)
        let during = try Self.merged(daemon)
        let bodies: [(body: String, mentions: [String])] = [
            (#"{"adaptr": "python-qv-r8"}"#, ["\"adaptr\"", "DELETE /merged"]),
            (#"{"model": "python-qv-r8"}"#, ["\"model\"", "DELETE /merged"]),
            (#"{"adapter": "python-qv-r8", "extra": 1}"#, ["\"extra\""]),
            ("{}", ["`adapter` is missing", "DELETE /merged"]),
            (#"{"adapter": ""}"#, ["empty", "DELETE /merged"]),
            (#"{"adapter": null}"#, ["null", "DELETE /merged"]),
            (#"{"adapter": 3}"#, ["3"]),
            ("[]", ["DELETE /merged"]),
            (#"{"adapter": "tiny-llama"}"#, ["base model's id"]),
        ]
        for (body, mentions) in bodies {
            let r = try Curl.run(["-X", "PUT", "-H", "Content-Type: application/json", "-H", Self.admin,
                                  "--data-binary", body, daemon.baseURL + "/merged"])
            #expect(r.status == 400, "\(body): \(r.status) \(r.text)")
            for m in mentions { #expect(r.errorMessage?.contains(m) == true, "\(body): should mention \(m): \(r.text)") }
            let now = try Self.merged(daemon)
            #expect(now.adapter == "python-qv-r8" && now.checksum == during.checksum, "\(body) changed the merge")
        }
        // Unmerging is DELETE.
        #expect(try Curl.delete(daemon.baseURL + "/merged", headers: [Self.admin]).status == 200)
        #expect(try Self.merged(daemon).adapter == nil)
    }

    static func merged(_ daemon: LoradProcess) throws -> (adapter: String?, checksum: String) {
        let r = try Curl.get(daemon.baseURL + "/merged?checksum=true", headers: [admin])
        try #require(r.status == 200, "\(r.text)")
        let json = try r.json()
        #expect(json.keys.contains("adapter"))
        return (json["adapter"] as? String, try #require(json["weights_checksum"] as? String))
    }

    static func putMerged(_ daemon: LoradProcess, _ adapter: String) throws -> Curl.Response {
        try Curl.run(["-X", "PUT", "-H", "Content-Type: application/json", "-H", admin,
                      "--data-binary", "{\"adapter\":\"\(adapter)\"}", daemon.baseURL + "/merged"])
    }

    @Test func liveMergeServesEveryVariantExactlyAndUnmergeRestoresTheWeights() throws {
        let refs = try References.load()
        let daemon = try Self.daemon()
        defer { daemon.cleanUp() }
        let original = try Self.merged(daemon)
        #expect(original.adapter == nil)

        let put = try Self.putMerged(daemon, "python-qv-r8")
        #expect(put.status == 200, "\(put.text)")
        let during = try Self.merged(daemon)
        #expect(during.adapter == "python-qv-r8")
        #expect(during.checksum != original.checksum, "the base weights change while merged")
        #expect(try Curl.get(daemon.baseURL + "/health").json()["merged"] as? String == "python-qv-r8")

        // Greedy, all prompts: the merged adapter, the bare base and the other adapters.
        try Self.expectReferenceTexts(daemon, variant: "python-qv-r8", reference: "python-qv-r8", refs: refs, "merged")
        try Self.expectReferenceTexts(daemon, variant: nil, reference: "base", refs: refs, "while merged")
        for other in ["upper-all-r4", "rslora-qkvo-r16"] {
            try Self.expectReferenceTexts(daemon, variant: other, reference: other, refs: refs, "while merged")
        }

        let del = try Curl.delete(daemon.baseURL + "/merged?checksum=true", headers: [Self.admin])
        #expect(del.status == 200)
        #expect(try del.json()["weights_checksum"] as? String == original.checksum)
        let after = try Self.merged(daemon)
        #expect(after.adapter == nil)
        #expect(after.checksum == original.checksum, "DELETE /merged restores W0 bit for bit")
        #expect(try Curl.get(daemon.baseURL + "/health").json()["merged"] == nil)
        try Self.expectReferenceTexts(daemon, variant: nil, reference: "base", refs: refs, "after unmerge")

        // Replacing, then deleting, the merged adapter unmerges it first.
        #expect(try Self.putMerged(daemon, "upper-all-r4").status == 200)
        let folder = Fixtures.adapter("upper-all-r4")
        let replaced = try Curl.upload(daemon.baseURL, name: "upper-all-r4", config: folder.appendingPathComponent("adapter_config.json"),
                                       weights: folder.appendingPathComponent("adapter_model.safetensors"), replace: true,
                                       headers: [Self.admin])
        #expect(replaced.status == 201)
        #expect(try Self.merged(daemon) == (nil, original.checksum))
        #expect(try Self.putMerged(daemon, "upper-all-r4").status == 200)
        #expect(try Curl.delete(daemon.baseURL + "/adapters/upper-all-r4", headers: [Self.admin]).status == 200)
        #expect(try Self.merged(daemon) == (nil, original.checksum))
    }

    @Test func eightStreamsFinishCorrectlyWhileAMergeIsWritten() throws {
        let refs = try References.load()
        let daemon = try Self.daemon()
        defer { daemon.cleanUp() }
        // One download stays in progress throughout (its reader is stalled),
        // and a second one runs to the end while the streams run.
        let stalled = DispatchGroup()
        stalled.enter()
        let port = daemon.port
        Thread.detachNewThread {
            try? SlowClient.postAndLeave(port: port, path: "/adapters/upper-all-r4/merge", headers: [Self.admin], after: 2)
            stalled.leave()
        }
        Thread.sleep(forTimeInterval: 0.2)
        let variants: [String?] = [nil, "python-qv-r8", "upper-all-r4", "rslora-qkvo-r16"]
        var jobs: [(prompt: References.Prompt, variant: String?, run: Curl.Running)] = []
        for i in 0..<8 {
            let prompt = refs.prompts[i % refs.prompts.count], variant = variants[i % variants.count]
            var body: [String: Any] = ["prompt": prompt.text, "max_tokens": 24, "temperature": 0, "stream": true]
            if let variant { body["adapter"] = variant }
            jobs.append((prompt, variant, try Curl.startJSON(daemon.baseURL + "/v1/completions", body)))
        }
        let dl = try Self.download(daemon, "/adapters/python-qv-r8/merge")
        #expect(dl.status == 200)
        #expect(dl.body == (try Self.cliMerge([Fixtures.adapter("python-qv-r8").path])))
        for job in jobs {
            let r = job.run.wait()
            let parsed = Curl.streamedText(r.text)
            let ref = try #require(refs.result(job.variant ?? "base", job.prompt.name))
            #expect(r.status == 200 && parsed?.done == true)
            #expect(parsed?.text == ref.generated_text, "\(job.variant ?? "base") on \(job.prompt.name)")
        }
        #expect(stalled.wait(timeout: .now()) == .timedOut, "the stalled merge download was in progress the whole time")
        stalled.wait()
    }

    /// A client that goes away mid-download ends the merge (status 499 in the
    /// metrics, nginx's "client closed request") instead of it running to the end.
    @Test func aClientThatLeavesStopsTheMerge() throws {
        let daemon = try Self.daemon()
        defer { daemon.cleanUp() }
        // A client with a 4 KB receive buffer that reads nothing: the 5 MB body
        // cannot all vanish into kernel buffers (curl's --limit-rate would not
        // do: its socket still takes megabytes). It sends the request, waits, leaves.
        try SlowClient.postAndLeave(port: daemon.port, path: "/adapters/python-qv-r8/merge",
                                    headers: [Self.admin], after: 0.5)
        let line = "lorad_http_requests_total{endpoint=\"/adapters/{name}/merge\",method=\"POST\",status=\"499\"} 1"
        var metrics = ""
        for _ in 0..<100 where !metrics.contains(line) {
            metrics = try Curl.get(daemon.baseURL + "/metrics").text
            if !metrics.contains(line) { Thread.sleep(forTimeInterval: 0.1) }
        }
        #expect(metrics.contains(line), "\(metrics.split(separator: "\n").filter { $0.contains("merge") })")
        #expect(!metrics.contains("endpoint=\"/adapters/{name}/merge\",method=\"POST\",status=\"200\""))
        // The daemon keeps serving.
        let r = try Curl.postJSON(daemon.baseURL + "/v1/completions", ["prompt": "x", "max_tokens": 2, "adapter": "python-qv-r8"])
        #expect(r.status == 200)
    }

    /// A stored adapter that no longer fits the loaded base (written for a
    /// model whose q/v take 64 inputs) is refused with 422 by both merges.
    /// A download F16 cannot hold — the served F32 base's layer 0 k_proj
    /// scaled past ±65504, merged with `?dtype=f16` — is a 422 naming the
    /// tensor before any byte of the file, not a download cut short after
    /// its 200; BF16 holds it and downloads whole.
    @Test func aDownloadF16CannotHoldIs422BeforeTheFile() throws {
        let base = try Fixtures.temporaryDirectory("lorad-merge-e2e-loud")
        defer { try? FileManager.default.removeItem(at: base) }
        let loud = "model.layers.0.self_attn.k_proj.weight"
        try ScaledCheckpoint.write(from: Fixtures.tinyLlama, scaling: loud, by: 1e7, to: base)
        let daemon = try Self.daemon(model: base, adapters: ["python-qv-r8"])
        defer { daemon.cleanUp() }
        let f16 = try Self.download(daemon, "/adapters/python-qv-r8/merge?dtype=f16")
        let text = String(decoding: f16.body, as: UTF8.self)
        #expect(f16.status == 422 && text.contains(loud) && text.contains("65504"), "\(f16.status) \(text.prefix(300))")
        let bf16 = try Self.download(daemon, "/adapters/python-qv-r8/merge?dtype=bf16")
        #expect(bf16.status == 200 && bf16.body.count == Int(bf16.headers["content-length"] ?? ""), "\(bf16.status)")
    }

    /// A merge download reads the checkpoint again: once the weights file is
    /// not the one the served model came from — rewritten in place, or another
    /// renamed over it — the download is 409 before any byte, naming the
    /// file, instead of another model's weights (or, cut short in place
    /// mid-download, SIGBUS on the missing pages).
    @Test(arguments: ["truncate", "rename"])
    func aDownloadOfWeightsChangedOnDiskIs409(change: String) throws {
        let base = try Fixtures.temporaryDirectory("lorad-merge-e2e-changed")
        defer { try? FileManager.default.removeItem(at: base) }
        try ScaledCheckpoint.write(from: Fixtures.tinyLlama, to: base)
        let daemon = try Self.daemon(model: base, adapters: ["python-qv-r8"])
        defer { daemon.cleanUp() }
        #expect(try Self.download(daemon, "/adapters/python-qv-r8/merge").status == 200)
        let weights = base.appendingPathComponent("model.safetensors")
        if change == "truncate" {
            let handle = try FileHandle(forWritingTo: weights)
            try handle.truncate(atOffset: 1000)
            try handle.close()
        } else {
            let other = base.appendingPathComponent("other.safetensors")
            try FileManager.default.copyItem(at: weights, to: other)
            #expect(rename(other.path, weights.path) == 0)
        }
        let changed = try Self.download(daemon, "/adapters/python-qv-r8/merge")
        let text = String(decoding: changed.body, as: UTF8.self)
        #expect(changed.status == 409 && text.contains("model.safetensors") && text.contains("restart"), "\(changed.status) \(text.prefix(300))")
        // Serving goes on from the weights copied at load.
        #expect(try Curl.postJSON(daemon.baseURL + "/v1/completions", ["prompt": "The", "max_tokens": 3]).status == 200)
    }

    /// The files served beside merged weights are checked like the weights:
    /// one rewritten, added or removed since the model was loaded is 409
    /// naming it (it would describe another model than the one served); the
    /// others are still served as they are.
    @Test func companionFilesChangedOnDiskAre409NamingThem() throws {
        let base = try Fixtures.temporaryDirectory("lorad-merge-e2e-companions")
        defer { try? FileManager.default.removeItem(at: base) }
        let model = base.appendingPathComponent("model")
        try FileManager.default.copyItem(at: Fixtures.tinyLlama, to: model)
        let daemon = try Self.daemon(model: model, adapters: ["python-qv-r8"])
        defer { daemon.cleanUp() }
        func get(_ file: String) throws -> Curl.Response {
            try Curl.get(daemon.baseURL + "/adapters/python-qv-r8/merge/" + file, headers: [Self.admin])
        }
        for file in ["config.json", "tokenizer_config.json", "generation_config.json"] { #expect(try get(file).status == 200, "\(file)") }
        #expect(try get("chat_template.jinja").status == 404)
        // Rewritten in place, removed, added.
        let tokenizerConfig = model.appendingPathComponent("tokenizer_config.json")
        let handle = try FileHandle(forWritingTo: tokenizerConfig)
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(" ".utf8))
        try handle.close()
        try FileManager.default.removeItem(at: model.appendingPathComponent("generation_config.json"))
        try Data("{{ messages }}".utf8).write(to: model.appendingPathComponent("chat_template.jinja"))
        for file in ["tokenizer_config.json", "generation_config.json", "chat_template.jinja"] {
            let r = try get(file)
            #expect(r.status == 409 && r.text.contains(file) && r.text.contains("restart"), "\(file): \(r.status) \(r.text)")
        }
        let config = try get("config.json"), onDisk = try Data(contentsOf: model.appendingPathComponent("config.json"))
        #expect(config.status == 200 && config.body == onDisk)
    }

    @Test func anIncompatibleStoredAdapterIsRefusedWith422() throws {
        let dir = try Fixtures.temporaryDirectory("lorad-merge-e2e-foreign")
        let registry = try AdapterRegistry(path: dir.appendingPathComponent("registry.sqlite").path)
        let config = try String(contentsOf: AdapterFiles.fixtureConfig, encoding: .utf8)
        let foreign = AdapterFiles.safetensors(AdapterFiles.loraTensors(rank: 8, modules: ["self_attn.q_proj", "self_attn.v_proj"], inOverride: 64))
        _ = try registry.insert(NewAdapter(name: "foreign", configJSON: config, ranks: [8], alpha: 16, scale: 2,
                                           targetModules: ["q_proj", "v_proj"], baseModelId: "other-model"), weights: foreign)
        registry.close()
        let daemon = try LoradProcess(directory: dir)
        defer { daemon.cleanUp() }
        let dl = try Self.download(daemon, "/adapters/foreign/merge", headers: [])
        #expect(dl.status == 422, "\(String(decoding: dl.body.prefix(300), as: UTF8.self))")
        let put = try Curl.run(["-X", "PUT", "-H", "Content-Type: application/json", "--data-binary", "{\"adapter\":\"foreign\"}",
                                daemon.baseURL + "/merged"])
        #expect(put.status == 422, "\(put.text)")
        #expect(try Self.merged(daemon).adapter == nil)
    }
}
