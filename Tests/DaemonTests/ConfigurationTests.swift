import Testing
import Foundation
import Kernels
import TestSupport
@testable import Daemon

@Suite struct ConfigurationTests {
    /// Writes `text` to a temporary `lorad.conf` and returns its path.
    private func write(_ text: String, name: String = "lorad.conf") throws -> String {
        let dir = try Fixtures.temporaryDirectory("lorad-config")
        let url = dir.appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        return url.path
    }

    @Test func everyKeyOfAFullFileIsParsed() throws {
        let path = try write("""
        listen = 0.0.0.0:9000, [::1]:9001
        model = /srv/models/smol
        registry = /var/lib/lorad/r.sqlite
        adapter_dirs = /srv/adapters, /mnt/shared/adapters
        hf_hub_cache = /srv/hf/hub
        admin_token_file = /etc/lorad/admin.token
        inference_token_file = /etc/lorad/inference.token
        adapter_cache_mb = 1024
        max_batch = 16
        max_loras = 4
        max_queue = 100
        kv_cache_mb = 2048
        threads = 3
        max_upload_mb = 50
        upload_buffer_mb = 100
        max_merge_downloads = 2
        header_timeout_s = 2.5
        idle_timeout_s = 120
        body_timeout_s = 30
        body_min_rate_kib_s = 0
        context_length = 256
        adapter_cache_overcommit_pct = 50
        weights_dtype = bf16
        kv_dtype = bf16
        drain_timeout_s = 0
        max_connections = 4096
        log_level = debug
        log_format = json
        chat_template = /etc/lorad/chat.jinja
        tool_call_parser = hermes
        generation_defaults = none
        trusted_listen = 127.0.0.2:8000, localhost:8001, [::1]:8002
        """)
        let c = try Configuration.load(file: path)
        var expected = Configuration()
        expected.listen = [ListenAddress(family: .ipv4, host: "0.0.0.0", port: 9000),
                           ListenAddress(family: .ipv6, host: "::1", port: 9001)]
        expected.trustedListen = [ListenAddress(family: .ipv4, host: "127.0.0.2", port: 8000),
                                  ListenAddress(family: .ipv4, host: "127.0.0.1", port: 8001),
                                  ListenAddress(family: .ipv6, host: "::1", port: 8002)]
        expected.model = "/srv/models/smol"
        expected.registry = "/var/lib/lorad/r.sqlite"
        expected.adminTokenFile = "/etc/lorad/admin.token"
        expected.inferenceTokenFile = "/etc/lorad/inference.token"
        expected.adapterCacheMB = 1024
        expected.maxBatch = 16
        expected.maxLoras = 4
        expected.adapterDirs = ["/srv/adapters", "/mnt/shared/adapters"]
        expected.hfHubCache = .path("/srv/hf/hub")
        expected.maxQueue = 100
        expected.kvCacheMB = 2048
        expected.threads = 3
        expected.maxUploadMB = 50
        expected.uploadBufferMB = 100
        expected.maxMergeDownloads = 2
        expected.headerTimeoutSeconds = 2.5
        expected.idleTimeoutSeconds = 120
        expected.bodyTimeoutSeconds = 30
        expected.bodyMinRateKiB = 0
        expected.contextLength = 256
        expected.adapterCacheOvercommitPct = 50
        expected.weightsDType = .bf16
        expected.kvDType = .bf16
        expected.drainTimeoutSeconds = 0
        expected.maxConnections = 4096
        expected.logLevel = .debug
        expected.logFormat = .json
        expected.chatTemplate = "/etc/lorad/chat.jinja"
        expected.toolCallParser = .format(.hermes)
        expected.generationDefaults = .none
        #expect(c == expected)
        // The file set every key: none may still hold its default.
        let defaults = Configuration()
        for key in ConfigKey.allCases {
            #expect(key.value(in: c) != key.value(in: defaults), "\(key.rawValue) kept its default")
        }
    }

    @Test func anUnknownKeyIsReportedWithFileAndLine() throws {
        let path = try write("max_batch = 8\n# x\nmax_bach = 9\n")
        #expect(throws: ConfigError.unknownKey(file: path, line: 3, key: "max_bach")) {
            try Configuration.load(file: path)
        }
    }

    @Test func aBadValueIsReportedWithFileLineKeyAndExpectation() throws {
        let path = try write("\n\nmax_batch = eight\n")
        #expect(throws: ConfigError.badValue(file: path, line: 3, key: "max_batch", value: "eight",
                                             expected: "an integer in 1...1024")) {
            try Configuration.load(file: path)
        }
    }

    @Test func outOfRangeAndMalformedValuesAreRejected() throws {
        let bad = ["max_batch = 0", "max_queue = -1", "threads = 0", "threads = many", "header_timeout_s = 0",
                   "idle_timeout_s = nan", "idle_timeout_s = inf", "drain_timeout_s = -1", "log_level = verbose",
                   "log_format = xml", "listen = 127.0.0.1", "listen = 1.2.3.4:70000", "listen = host:80",
                   "listen = [::1]80", "listen =", "model =", "registry =", "adapter_cache_mb = 1.5",
                   "max_connections = 99999999999999999999", "body_timeout_s = 0", "body_min_rate_kib_s = -1",
                   "adapter_dirs = relative/adapters", "adapter_dirs = /srv/a, adapters",
                   "hf_hub_cache = relative/hub", "hf_hub_cache = ", "hf_hub_cache = Auto",
                   // Not loopback: a trusted listener would skip the tokens for other machines.
                   "trusted_listen = 0.0.0.0:8000", "trusted_listen = *:8000", "trusted_listen = 10.0.0.1:8000",
                   "trusted_listen = [::]:8000", "trusted_listen = [::2]:8000", "trusted_listen = 128.0.0.1:8000",
                   "trusted_listen = 127.0.0.1"]
        for line in bad {
            let path = try write(line + "\n")
            do {
                _ = try Configuration.load(file: path)
                Issue.record("accepted: \(line)")
            } catch {
                guard case let .badValue(_, reported, key, _, _) = error else { Issue.record("\(line): \(error)"); continue }
                #expect(reported == 1)
                #expect(line.hasPrefix(key + " "))
            }
        }
    }

    @Test func aMissingFileIsReportedByPath() {
        let path = "/nonexistent-\(UUID().uuidString)/lorad.conf"
        #expect(throws: ConfigError.missingFile(path: path, reason: "no such file")) {
            try Configuration.load(file: path)
        }
    }

    @Test func aDuplicateKeyStopsTheLoad() throws {
        let path = try write("listen = 127.0.0.1:1\nlisten = 127.0.0.1:2\n")
        #expect(throws: ConfigError.duplicateKey(file: path, line: 2, key: "listen", firstLine: 1)) {
            try Configuration.load(file: path)
        }
    }

    @Test func listenTakesSeveralAddresses() throws {
        let path = try write("listen = 127.0.0.1:8080,[::1]:8080  localhost:0 *:81\n")
        let c = try Configuration.load(file: path)
        #expect(c.listen.map(\.description) == ["127.0.0.1:8080", "[::1]:8080", "127.0.0.1:0", "0.0.0.0:81"])
    }

    /// bind(2) would refuse the second with EADDRINUSE after the first was
    /// bound; the configuration names both before anything is bound.
    @Test func listenersThatCannotBothBeBoundAreRefusedNamingBoth() throws {
        let clashes: [(String, [String: [String]], String, String)] = [
            ("listen = 127.0.0.1:8080\n", ["trusted-listen": ["127.0.0.1:8080"]], "listen 127.0.0.1:8080", "trusted_listen 127.0.0.1:8080"),
            ("listen = 0.0.0.0:8080\n", ["trusted-listen": ["127.0.0.2:8080"]], "listen 0.0.0.0:8080", "trusted_listen 127.0.0.2:8080"),
            ("listen = [::1]:81, localhost:81, [0::1]:81\n", [:], "listen [::1]:81", "listen [0::1]:81"),
            ("trusted_listen = 127.0.0.1:9, localhost:9\n", [:], "trusted_listen 127.0.0.1:9", "trusted_listen 127.0.0.1:9"),
        ]
        for (file, flags, first, second) in clashes {
            let path = try write(file)
            #expect(throws: ConfigError.clashingListeners(first: first, second: second)) {
                try Configuration.resolve(file: path, overrides: flags)
            }
        }
        // Other ports, the other family, and port 0 (a fresh port each time) can all be bound.
        let path = try write("listen = 0.0.0.0:8080, [::]:8080, 127.0.0.1:0, 127.0.0.1:0\ntrusted_listen = 127.0.0.1:8081, [::1]:0\n")
        let c = try Configuration.resolve(file: path, overrides: [:])
        #expect(c.listen.count == 4 && c.trustedListen.count == 2)
    }

    @Test func flagsOverrideTheFile() throws {
        let path = try write("max_batch = 4\nlisten = 127.0.0.1:1\nlog_level = debug\n")
        var c = try Configuration.load(file: path)
        try c.apply(overrides: ["max-batch": ["2", "16"], "listen": ["[::1]:9000", "127.0.0.1:9001,127.0.0.1:9002"],
                                "admin-token-file": ["/tmp/t"], "header-timeout-s": ["0.5"]])
        #expect(c.maxBatch == 16)           // last flag wins
        #expect(c.listen.map(\.description) == ["[::1]:9000", "127.0.0.1:9001", "127.0.0.1:9002"])  // replaces the file's
        #expect(c.adminTokenFile == "/tmp/t")
        #expect(c.headerTimeoutSeconds == 0.5)
        #expect(c.logLevel == .debug)       // untouched by flags
    }

    @Test func flagNamesAreTheKeysWithDashes() {
        #expect(Configuration.flagNames.contains("max-batch"))
        #expect(Configuration.flagNames.contains("listen"))
        #expect(Configuration.flagNames.count == ConfigKey.allCases.count)
        #expect(!Configuration.flagNames.contains { $0.contains("_") })
    }

    @Test func anUnknownOrBadFlagIsATypedError() {
        var c = Configuration()
        #expect(throws: ConfigError.unknownFlag(flag: "max_batch")) { try c.apply(overrides: ["max_batch": ["3"]]) }
        #expect(throws: ConfigError.badFlagValue(flag: "max-queue", value: "x", expected: "an integer in 1...1000000")) {
            try c.apply(overrides: ["max-queue": ["x"]])
        }
    }

    /// `hf_hub_cache = auto` finds the folder huggingface_hub's
    /// `constants.py` would, variable by variable in its order of precedence.
    @Test func hubCacheAutoFollowsHuggingFaceHubsVariables() {
        let all = ["HF_HUB_CACHE": "/a", "HUGGINGFACE_HUB_CACHE": "/b", "HF_HOME": "/c", "XDG_CACHE_HOME": "/d", "HOME": "/e"]
        #expect(HubCacheSetting.auto.root(environment: all) == "/a")
        #expect(HubCacheSetting.auto.root(environment: all.filter { $0.key != "HF_HUB_CACHE" }) == "/b")
        #expect(HubCacheSetting.auto.root(environment: ["HF_HOME": "/c", "XDG_CACHE_HOME": "/d", "HOME": "/e"]) == "/c/hub")
        #expect(HubCacheSetting.auto.root(environment: ["XDG_CACHE_HOME": "/d", "HOME": "/e"]) == "/d/huggingface/hub")
        #expect(HubCacheSetting.auto.root(environment: ["HOME": "/e", "HF_HUB_CACHE": ""]) == "/e/.cache/huggingface/hub")
        #expect(HubCacheSetting.auto.root(environment: [:]) == nil)
        #expect(HubCacheSetting.off.root(environment: all) == nil)
        #expect(HubCacheSetting.path("/srv/hub").root(environment: all) == "/srv/hub")
    }

    @Test func threadsAutoMeansOnePerCore() throws {
        let path = try write("threads = auto\n")
        #expect(try Configuration.load(file: path).threads == ProcessInfo.processInfo.activeProcessorCount)
    }

    @Test func theShippedConfigurationParsesToTheDefaults() throws {
        let shipped = Fixtures.repoRoot.appendingPathComponent("etc/lorad.conf").path
        #expect(try Configuration.load(file: shipped) == Configuration())
    }

    @Test func theShippedConfigurationDocumentsEveryKey() throws {
        let text = try String(contentsOf: Fixtures.repoRoot.appendingPathComponent("etc/lorad.conf"), encoding: .utf8)
        let lines = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        for key in ConfigKey.allCases {
            let set = lines.contains { $0.hasPrefix("\(key.rawValue) =") || $0.hasPrefix("# \(key.rawValue) =") }
            #expect(set, "etc/lorad.conf does not show \(key.rawValue)")
        }
    }

    @Test func theRenderedConfigurationParsesBackEqual() throws {
        var c = Configuration()
        c.model = "/srv/run #2/model"
        c.registry = "  spaced.sqlite"
        c.adminTokenFile = #"/etc/"quoted"\token"#
        c.headerTimeoutSeconds = 0.25
        c.listen = [ListenAddress(family: .ipv6, host: "::", port: 0)]
        let path = try write(c.description)
        #expect(try Configuration.load(file: path) == c)
    }

    @Test func theRegistryDefaultsToTheSystemdStateDirectory() {
        #expect(Configuration.defaultRegistryPath(environment: ["STATE_DIRECTORY": "/var/lib/lorad"])
                == "/var/lib/lorad/registry.sqlite")
        #expect(Configuration.defaultRegistryPath(environment: ["STATE_DIRECTORY": "/var/lib/a:/var/lib/b"])
                == "/var/lib/a/registry.sqlite")
        #expect(Configuration.defaultRegistryPath(environment: [:]) == "lorad.sqlite")
        #expect(Configuration(environment: ["STATE_DIRECTORY": "/s"]).registry == "/s/registry.sqlite")
    }

    @Test func theModelDefaultFollowsTheDocumentedSearchOrder() throws {
        let root = try Fixtures.temporaryDirectory("lorad-model-rule")
        func makeModel(_ relative: String) throws {
            let dir = root.appendingPathComponent(relative)
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            try Data("{}".utf8).write(to: dir.appendingPathComponent("config.json"))
        }
        let exe = root.appendingPathComponent("prefix/bin/lorad").path
        let cwd = root.appendingPathComponent("work").path
        // Nothing exists: the relative default.
        #expect(Configuration.defaultModelPath(executablePath: exe, currentDirectory: cwd) == "models/tiny-llama")
        // 3. the install layout <bindir>/../share/lorad/models/tiny-llama.
        try makeModel("prefix/share/lorad/models/tiny-llama")
        #expect(Configuration.defaultModelPath(executablePath: exe, currentDirectory: cwd)
                == root.appendingPathComponent("prefix/share/lorad/models/tiny-llama").path)
        // 2. next to the executable or above it (a checkout's .build).
        try makeModel("prefix/models/tiny-llama")
        #expect(Configuration.defaultModelPath(executablePath: exe, currentDirectory: cwd)
                == root.appendingPathComponent("prefix/models/tiny-llama").path)
        // 1. the working directory wins.
        try makeModel("work/models/tiny-llama")
        #expect(Configuration.defaultModelPath(executablePath: exe, currentDirectory: cwd)
                == root.appendingPathComponent("work/models/tiny-llama").path)
    }

    @Test func theModelDefaultFindsTheBundledDemoModelFromACheckoutBuild() {
        // A binary under <repo>/.build/<triple>/debug/ finds <repo>/models/tiny-llama.
        let exe = Fixtures.repoRoot.appendingPathComponent(".build/x86_64-unknown-linux-gnu/debug/lorad").path
        let path = Configuration.defaultModelPath(executablePath: exe, currentDirectory: "/")
        #expect(URL(fileURLWithPath: path).standardizedFileURL == Fixtures.tinyLlama.standardizedFileURL)
    }

    @Test func listenAddressesParseAndPrint() {
        #expect(ListenAddress(parsing: "127.0.0.1:8080") == ListenAddress(family: .ipv4, host: "127.0.0.1", port: 8080))
        #expect(ListenAddress(parsing: "[fe80::1]:80")?.description == "[fe80::1]:80")
        for bad in ["", "127.0.0.1", "127.0.0.1:", ":80", "999.1.1.1:80", "[::1]", "::1:80", "example.com:80",
                    "127.0.0.1:-1", "127.0.0.1:65536", "[127.0.0.1]:80"] {
            #expect(ListenAddress(parsing: bad) == nil, "\(bad)")
        }
    }
}

extension ConfigurationTests {
    @Test func resolveLayersDefaultsFileAndFlags() throws {
        let path = try write("max_batch = 4\nmax_queue = 7\n")
        let c = try Configuration.resolve(file: path, overrides: ["max-queue": ["9"]])
        #expect(c.maxBatch == 4)
        #expect(c.maxQueue == 9)
        #expect(c.kvCacheMB == Configuration().kvCacheMB)
        #expect(try Configuration.resolve(file: nil, overrides: ["threads": ["1"]]).threads == 1)
        #expect(throws: ConfigError.self) { try Configuration.resolve(file: path + ".missing") }
    }
}

extension ConfigurationTests {
    @Test func maxConnectionsBeyondTheOpenFileLimitIsAProblemNamingBoth() {
        var c = Configuration()
        c.maxConnections = 1024
        let problem = c.openFileLimitProblem(limit: 256)
        #expect(problem?.contains("max_connections (1024)") == true)
        #expect(problem?.contains("open-file limit (256") == true)
        // The reserve for lorad's own descriptors counts against the limit.
        #expect(c.openFileLimitProblem(limit: 1024) != nil)
        #expect(c.openFileLimitProblem(limit: 1024 + Configuration.reservedDescriptors) == nil)
        #expect(c.openFileLimitProblem(limit: nil) == nil)
    }
}
