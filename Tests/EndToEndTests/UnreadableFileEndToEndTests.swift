import Foundation
import Testing
import TestSupport

/// The real binary pointed at something other than a regular file where it
/// reads one — a FIFO no process writes (whose plain open(2) blocks for
/// ever), /dev/zero (which never ends), a folder, a file larger than its
/// kind may be. Every command refuses promptly, exits non-zero and names
/// the file and what it is; each run is killed after 60 s, so a hang fails
/// the test instead of the run.
@Suite struct UnreadableFileEndToEndTests {
    static let timeout = 60.0

    /// What may stand in for a file, and the words its refusal uses.
    enum Stand: CaseIterable, CustomStringConvertible {
        case fifo, devZero, folder

        var kind: String {
            switch self {
            case .fifo: return "is a FIFO (named pipe), not a regular file"
            case .devZero: return "is a character device, not a regular file"
            case .folder: return "is a directory, not a regular file"
            }
        }

        var description: String {
            switch self {
            case .fifo: return "FIFO"
            case .devZero: return "/dev/zero"
            case .folder: return "folder"
            }
        }

        /// Puts it at `url`, replacing what is there.
        func make(at url: URL) throws {
            try? FileManager.default.removeItem(at: url)
            switch self {
            case .fifo: try SpecialFile.fifo(at: url)
            case .devZero: try SpecialFile.link(at: url, to: "/dev/zero")
            case .folder: try FileManager.default.createDirectory(at: url, withIntermediateDirectories: false)
            }
        }
    }

    /// A model folder in `dir`: tiny-llama's files as symlinks (RegularFile
    /// follows them), with `file` replaced by `stand`.
    static func model(in dir: URL, replacing file: String, with stand: Stand, extra: [String: String] = [:]) throws -> URL {
        let folder = dir.appendingPathComponent("model-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for name in try FileManager.default.contentsOfDirectory(atPath: Fixtures.tinyLlama.path) {
            try SpecialFile.link(at: folder.appendingPathComponent(name), to: Fixtures.tinyLlama.appendingPathComponent(name).path)
        }
        for (name, text) in extra { try Data(text.utf8).write(to: folder.appendingPathComponent(name)) }
        try stand.make(at: folder.appendingPathComponent(file))
        return folder
    }

    /// `lorad serve` that must refuse to start (a start would run until the timeout).
    static func serve(_ dir: URL, _ arguments: [String]) throws -> ExternalTool.Result {
        try LoradBinary.run(["serve", "--listen", "127.0.0.1:0", "--threads", "1",
                             "--registry", dir.appendingPathComponent("registry-\(UUID().uuidString.prefix(8)).sqlite").path]
                            + arguments, timeout: timeout)
    }

    static func generate(_ arguments: [String]) throws -> ExternalTool.Result {
        try LoradBinary.run(["generate", "--prompt", "hi", "--max-tokens", "2", "--threads", "1"] + arguments, timeout: timeout)
    }

    /// Refused promptly with exit status 1, naming `path` and `reason`.
    static func expectRefused(_ r: ExternalTool.Result, naming path: String, _ reason: String, _ what: String,
                              sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(!r.timedOut, "\(what): still running after \(timeout) s", sourceLocation: sourceLocation)
        #expect(r.status == 1, "\(what): exit \(r.status)", sourceLocation: sourceLocation)
        #expect(r.stderr.contains(path) && r.stderr.contains(reason), "\(what): stderr \(r.stderr.suffix(600))",
                sourceLocation: sourceLocation)
        #expect(!r.stderr.contains("NSCocoaErrorDomain") && !r.stderr.contains("permission"), "\(what): \(r.stderr.suffix(600))",
                sourceLocation: sourceLocation)
    }

    @Test(arguments: Stand.allCases)
    func everyFileOfTheModelFolderIsRefusedByServeAndGenerateNamingIt(_ stand: Stand) async throws {
        try await OffCooperativePool.run {
            let dir = try Fixtures.temporaryDirectory("lorad-e2e-unreadable")
            defer { try? FileManager.default.removeItem(at: dir) }
            // Read by both commands.
            for file in ["model.safetensors", "config.json", "tokenizer.json", "tokenizer_config.json", "generation_config.json"] {
                let model = try Self.model(in: dir, replacing: file, with: stand)
                let path = model.appendingPathComponent(file).path
                Self.expectRefused(try Self.generate(["--model", model.path]), naming: path, stand.kind, "generate, \(file) \(stand)")
                Self.expectRefused(try Self.serve(dir, ["--model", model.path]), naming: path, stand.kind, "serve, \(file) \(stand)")
            }
            // Read by serve for the chat template.
            for file in ["special_tokens_map.json", "chat_template.jinja"] {
                let model = try Self.model(in: dir, replacing: file, with: stand)
                Self.expectRefused(try Self.serve(dir, ["--model", model.path]), naming: model.appendingPathComponent(file).path,
                                   stand.kind, "serve, \(file) \(stand)")
            }
        }
    }

    @Test func aShardNamedByTheIndexIsRefusedWhenItIsAFIFO() async throws {
        try await OffCooperativePool.run {
            let dir = try Fixtures.temporaryDirectory("lorad-e2e-unreadable")
            defer { try? FileManager.default.removeItem(at: dir) }
            let shard = "model-00001-of-00001.safetensors"
            let model = try Self.model(in: dir, replacing: shard, with: .fifo, extra: [
                "model.safetensors.index.json": #"{"weight_map": {"model.embed_tokens.weight": "\#(shard)"}}"#])
            try FileManager.default.removeItem(at: model.appendingPathComponent("model.safetensors"))
            let path = model.appendingPathComponent(shard).path
            Self.expectRefused(try Self.generate(["--model", model.path]), naming: path, Stand.fifo.kind, "generate")
            Self.expectRefused(try Self.serve(dir, ["--model", model.path]), naming: path, Stand.fifo.kind, "serve")
            // The index itself, too.
            try Stand.fifo.make(at: model.appendingPathComponent("model.safetensors.index.json"))
            Self.expectRefused(try Self.generate(["--model", model.path]),
                               naming: model.appendingPathComponent("model.safetensors.index.json").path, Stand.fifo.kind, "index")
        }
    }

    @Test(arguments: Stand.allCases)
    func theConfigurationTokenTemplateAndRegistryPathsAreRefusedNamingThem(_ stand: Stand) async throws {
        try await OffCooperativePool.run {
            let dir = try Fixtures.temporaryDirectory("lorad-e2e-unreadable")
            defer { try? FileManager.default.removeItem(at: dir) }
            let file = dir.appendingPathComponent("the-file")
            try stand.make(at: file)
            let model = ["--model", Fixtures.tinyLlama.path]
            Self.expectRefused(try Self.serve(dir, ["--config", file.path]), naming: file.path, stand.kind, "serve --config")
            Self.expectRefused(try LoradBinary.run(["check-config", "--config", file.path], timeout: Self.timeout),
                               naming: file.path, stand.kind, "check-config --config")
            for key in ["--admin-token-file", "--inference-token-file"] {
                Self.expectRefused(try Self.serve(dir, model + [key, file.path]), naming: file.path, stand.kind, "serve \(key)")
            }
            Self.expectRefused(try Self.serve(dir, model + ["--chat-template", file.path]), naming: file.path, stand.kind,
                               "serve --chat-template")
            // SQLite opens the registry itself; lorad checks the path first.
            let kind = "it " + stand.kind
            Self.expectRefused(try LoradBinary.run(["serve", "--listen", "127.0.0.1:0", "--registry", file.path] + model,
                                                   timeout: Self.timeout), naming: file.path, kind, "serve --registry")
            Self.expectRefused(try LoradBinary.run(["adapters", "list", "--registry", file.path], timeout: Self.timeout),
                               naming: file.path, kind, "adapters list --registry")
        }
    }

    @Test(arguments: ["/dev/zero", "/dev/urandom", "FIFO", "folder"])
    func templateRenderRefusesATemplateOrContextThatIsNoRegularFile(_ stand: String) throws {
        let dir = try Fixtures.temporaryDirectory("lorad-e2e-unreadable")
        defer { try? FileManager.default.removeItem(at: dir) }
        let template = dir.appendingPathComponent("ok.jinja"), context = dir.appendingPathComponent("case.json")
        try Data("{{ messages | length }}".utf8).write(to: template)
        try Data(#"{"messages": []}"#.utf8).write(to: context)
        let odd: String
        switch stand {
        case "FIFO": odd = dir.appendingPathComponent("fifo").path; try SpecialFile.fifo(at: URL(fileURLWithPath: odd))
        case "folder": odd = dir.path
        default: odd = stand
        }
        let reason = stand == "FIFO" ? Stand.fifo.kind : stand == "folder" ? Stand.folder.kind : Stand.devZero.kind
        let asTemplate = try LoradBinary.run(["template", "render", "--template", odd, "--context", context.path], timeout: Self.timeout)
        Self.expectRefused(asTemplate, naming: odd, reason, "--template \(stand)")
        let asContext = try LoradBinary.run(["template", "render", "--template", template.path, "--context", odd], timeout: Self.timeout)
        Self.expectRefused(asContext, naming: odd, reason, "--context \(stand)")
        // The good pair renders, so the refusals above are about the odd file.
        let good = try LoradBinary.run(["template", "render", "--template", template.path, "--context", context.path], timeout: Self.timeout)
        #expect(good.status == 0 && good.stdout == "0", "\(good.stderr)")
    }

    @Test func filesLargerThanTheirKindMayBeAreRefusedByNameUnread() async throws {
        try await OffCooperativePool.run {
            let dir = try Fixtures.temporaryDirectory("lorad-e2e-unreadable")
            defer { try? FileManager.default.removeItem(at: dir) }
            /// A sparse file of `size` bytes: refusing it by its size costs nothing, reading it would.
            func sparse(_ url: URL, _ size: Int) throws {
                try? FileManager.default.removeItem(at: url)
                #expect(FileManager.default.createFile(atPath: url.path, contents: nil))
                #expect(truncate(url.path, off_t(size)) == 0)
            }
            let model = try Self.model(in: dir, replacing: "tokenizer.json", with: .folder)
            let tokenizer = model.appendingPathComponent("tokenizer.json")
            try sparse(tokenizer, 4 << 30)
            Self.expectRefused(try Self.generate(["--model", model.path]), naming: tokenizer.path,
                               "is \(4 << 30) bytes, larger than the \(64 << 20) bytes allowed", "4 GiB tokenizer.json")
            let config = dir.appendingPathComponent("lorad.conf")
            try sparse(config, 2 << 20)
            Self.expectRefused(try LoradBinary.run(["check-config", "--config", config.path], timeout: Self.timeout),
                               naming: config.path, "larger than the \(1 << 20) bytes allowed for a configuration file", "2 MiB config")
            let token = dir.appendingPathComponent("admin.token")
            try sparse(token, 1 << 20)
            Self.expectRefused(try Self.serve(dir, ["--model", Fixtures.tinyLlama.path, "--admin-token-file", token.path]), naming: token.path,
                               "larger than the \(64 << 10) bytes allowed for a token file", "1 MiB token file")
        }
    }

    @Test func adapterFilesAreRefusedByGenerateAndMergeNamingThem() async throws {
        try await OffCooperativePool.run {
            let dir = try Fixtures.temporaryDirectory("lorad-e2e-unreadable")
            defer { try? FileManager.default.removeItem(at: dir) }
            for file in ["adapter_config.json", "adapter_model.safetensors"] {
                let adapter = try ReplicaFleetEndToEndTests.place("python-qv-r8", as: "fifo-\(file)", in: dir)
                try Stand.fifo.make(at: adapter.appendingPathComponent(file))
                let path = adapter.appendingPathComponent(file).path
                Self.expectRefused(try Self.generate(["--model", Fixtures.tinyLlama.path, "--adapter", adapter.path]),
                                   naming: path, Stand.fifo.kind, "generate --adapter, \(file)")
                let out = dir.appendingPathComponent("merged-\(file)")
                Self.expectRefused(try LoradBinary.run(["merge", "--model", Fixtures.tinyLlama.path, "--adapter", adapter.path,
                                                        "--out", out.path], timeout: Self.timeout),
                                   naming: path, Stand.fifo.kind, "merge --adapter, \(file)")
            }
        }
    }

    @Test func mergeNamesAnUnreadableBaseFileOrAnOutputThatIsNoFolderAndWritesNothing() async throws {
        try await OffCooperativePool.run {
            let dir = try Fixtures.temporaryDirectory("lorad-e2e-unreadable")
            defer { try? FileManager.default.removeItem(at: dir) }
            let adapter = Fixtures.adapter("python-qv-r8").path
            let model = try Self.model(in: dir, replacing: "tokenizer_config.json", with: .folder)
            let out = dir.appendingPathComponent("out")
            let companion = try LoradBinary.run(["merge", "--model", model.path, "--adapter", adapter, "--out", out.path],
                                                timeout: Self.timeout)
            Self.expectRefused(companion, naming: model.appendingPathComponent("tokenizer_config.json").path,
                               Stand.folder.kind, "merge, tokenizer_config.json a folder")
            #expect(!FileManager.default.fileExists(atPath: out.path), "nothing is written before every file is read")
            let file = dir.appendingPathComponent("a-file")
            try Data("x".utf8).write(to: file)
            for target in [file.path, "/dev/null"] {
                let r = try LoradBinary.run(["merge", "--model", Fixtures.tinyLlama.path, "--adapter", adapter, "--out", target],
                                            timeout: Self.timeout)
                Self.expectRefused(r, naming: target, "exists and is not a folder", "merge --out \(target)")
            }
            let inFile = file.path + "/out"
            Self.expectRefused(try LoradBinary.run(["merge", "--model", Fixtures.tinyLlama.path, "--adapter", adapter, "--out", inFile],
                                                   timeout: Self.timeout),
                               naming: inFile, "cannot create the output folder: \(String(cString: strerror(ENOTDIR)))",
                               "merge --out under a file")
        }
    }

    /// adapter_dirs, `load_lora_adapter` and the hub cache: a FIFO or a
    /// folder among an adapter's files is 422 naming it, and the daemon
    /// keeps serving (a blocked read would have hung the request's thread).
    @Test func theDaemonRefusesAdapterFilesThatAreNoRegularFilesAndKeepsServing() async throws {
        try await OffCooperativePool.run {
            let dir = try Fixtures.temporaryDirectory("lorad-e2e-unreadable")
            defer { try? FileManager.default.removeItem(at: dir) }
            let shared = dir.appendingPathComponent("shared")
            var odd: [(name: String, path: String, kind: String)] = []
            for (file, stand) in [("adapter_config.json", Stand.fifo), ("adapter_model.safetensors", .fifo),
                                  ("adapter_model.safetensors", .folder)] {
                let name = "odd-\(odd.count)"
                let folder = try ReplicaFleetEndToEndTests.place("python-qv-r8", as: name, in: shared)
                try stand.make(at: folder.appendingPathComponent(file))
                odd.append((name, folder.appendingPathComponent(file).path, stand.kind))
            }
            let tree = try HubCacheTree(root: dir.appendingPathComponent("hub"))
            try tree.download("org/fifo-ref", commit: HubCacheEndToEndTests.commit,
                              files: try HubCacheTree.adapterFiles(Fixtures.adapter("python-qv-r8")),
                              blobName: HubCacheEndToEndTests.blobName)
            let ref = tree.repoFolder("org/fifo-ref").appendingPathComponent("refs/main")
            try Stand.fifo.make(at: ref)
            let daemon = try LoradProcess(arguments: ["--adapter-dirs", shared.path], environment: ["HF_HUB_CACHE": tree.root.path])
            defer { daemon.cleanUp() }
            for (name, path, kind) in odd + [("org/fifo-ref", ref.path, Stand.fifo.kind)] {
                let r = try Curl.postJSON(daemon.baseURL + "/v1/completions", ["model": name, "prompt": "hi", "max_tokens": 2])
                #expect(r.status == 422 && r.text.contains(path) && r.text.contains(kind), "\(name): \(r.status) \(r.text)")
            }
            let load = try ReplicaFleetEndToEndTests.load(daemon, name: "loaded", path: shared.path + "/odd-0", headers: [])
            #expect(load.status == 422 && load.text.contains(odd[0].path), "\(load.status) \(load.text)")
            let base = try Curl.postJSON(daemon.baseURL + "/v1/completions", ["prompt": "hi", "max_tokens": 2])
            #expect(base.status == 200, "the daemon still serves: \(base.text)")
        }
    }
}
