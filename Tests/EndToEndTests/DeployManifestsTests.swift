import Foundation
import Testing
import TestSupport

/// `deploy/kubernetes`: the standard manifests against the Kubernetes JSON
/// schemas (`kubernetes-validate`, offline), the InferencePool and the
/// endpoint-picker configuration against the replicas they select, and the
/// lorad.conf they carry through `lorad check-config`.
@Suite struct DeployManifestsTests {
    static let folder = Fixtures.repoRoot.appendingPathComponent("deploy/kubernetes")
    /// Kinds whose schemas ship with Kubernetes (the rest are CRDs or kustomize's).
    static let standard = ["lorad-config.yaml", "lorad-deployment.yaml", "lorad-service.yaml", "epp-config.yaml", "epp.yaml"]

    /// python3 with PyYAML, or nil.
    static func pythonWithYAML() -> String? {
        guard let python = ExternalTool.find("python3"),
              let probe = try? ExternalTool.run(python, ["-c", "import yaml"]), probe.status == 0 else { return nil }
        return python
    }

    /// Every document of every YAML file in the folder, as JSON objects, with
    /// ConfigMap values that are YAML documents themselves parsed too
    /// (`data_parsed`); `file` names the file.
    static func documents(python: String) throws -> [[String: Any]] {
        let script = """
        import json, sys, yaml, pathlib
        out = []
        for path in sorted(pathlib.Path(sys.argv[1]).glob("*.yaml")):
            for doc in yaml.safe_load_all(path.read_text()):
                if doc is None: continue
                doc["file"] = path.name
                if doc.get("kind") == "ConfigMap":
                    doc["data_parsed"] = {k: (yaml.safe_load(v) if k.endswith(".yaml") else None) for k, v in doc.get("data", {}).items()}
                out.append(doc)
        print(json.dumps(out))
        """
        let result = try ExternalTool.run(python, ["-c", script, folder.path])
        try #require(result.status == 0, "\(result.stderr)")
        return try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]])
    }

    static func find(_ docs: [[String: Any]], kind: String, name: String) throws -> [String: Any] {
        try #require(docs.first { $0["kind"] as? String == kind && ($0["metadata"] as? [String: Any])?["name"] as? String == name },
                     "no \(kind) \(name)")
    }

    static func at(_ value: Any?, _ path: String...) -> Any? {
        var current = value
        for key in path {
            if let index = Int(key) { current = (current as? [Any]).flatMap { index < $0.count ? $0[index] : nil } }
            else { current = (current as? [String: Any])?[key] }
        }
        return current
    }

    @Test(.enabled(if: ExternalTool.find("kubernetes-validate") != nil, "needs kubernetes-validate (pip install kubernetes-validate)"))
    func standardManifestsValidateAgainstTheKubernetesSchemas() throws {
        let tool = try #require(ExternalTool.find("kubernetes-validate"))
        let files = Self.standard.map { Self.folder.appendingPathComponent($0).path }
        let result = try ExternalTool.run(tool, ["--strict", "--quiet"] + files)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
    }

    @Test(.enabled(if: pythonWithYAML() != nil, "needs python3 with PyYAML"))
    func thePoolThePickerAndTheReplicasReferToEachOther() throws {
        let docs = try Self.documents(python: try #require(Self.pythonWithYAML()))
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.folder.path).filter { $0.hasSuffix(".yaml") }
        let listed = Set((docs.first { $0["kind"] as? String == "Kustomization" }?["resources"] as? [String]) ?? [])
        #expect(listed == Set(files.filter { $0 != "kustomization.yaml" }), "kustomization.yaml lists every manifest")

        let lorad = try Self.find(docs, kind: "Deployment", name: "lorad")
        let podLabels = Self.at(lorad, "spec", "template", "metadata", "labels") as? [String: String]
        let container = try #require((Self.at(lorad, "spec", "template", "spec", "containers") as? [[String: Any]])?.first)
        let port = try #require((container["ports"] as? [[String: Any]])?.first { $0["name"] as? String == "http" })
        for probe in ["readinessProbe", "livenessProbe", "startupProbe"] {
            #expect(Self.at(container, probe, "httpGet", "path") as? String == "/health", "\(probe)")
        }
        #expect(Self.at(container, "securityContext", "readOnlyRootFilesystem") as? Bool == true)
        #expect(Self.at(container, "securityContext", "allowPrivilegeEscalation") as? Bool == false)

        let pool = try Self.find(docs, kind: "InferencePool", name: "lorad")
        #expect(pool["apiVersion"] as? String == "inference.networking.k8s.io/v1")
        #expect(Self.at(pool, "spec", "selector", "matchLabels") as? [String: String] == podLabels)
        #expect(Self.at(pool, "spec", "targetPorts", "0", "number") as? Int == port["containerPort"] as? Int)
        let pickerName = try #require(Self.at(pool, "spec", "endpointPickerRef", "name") as? String)
        let pickerService = try Self.find(docs, kind: "Service", name: pickerName)
        #expect(Self.at(pool, "spec", "endpointPickerRef", "port", "number") as? Int
                == Self.at(pickerService, "spec", "ports", "0", "port") as? Int)
        let service = try Self.find(docs, kind: "Service", name: "lorad")
        #expect(Self.at(service, "spec", "selector") as? [String: String] == podLabels)

        // The picker's Deployment: its pool, and the config file it is given.
        let picker = try Self.find(docs, kind: "Deployment", name: pickerName)
        let pickerContainer = try #require((Self.at(picker, "spec", "template", "spec", "containers") as? [[String: Any]])?.first)
        let args = pickerContainer["args"] as? [String] ?? []
        #expect(args.contains("--pool-name=lorad"))
        for metric in ["vllm:num_requests_waiting", "vllm:kv_cache_usage_perc", "vllm:lora_requests_info"] {
            #expect(args.contains { $0.hasSuffix("=" + metric) }, "\(metric)")
        }
        let configPath = try #require(args.first { $0.hasPrefix("--config-file=") }).dropFirst("--config-file=".count)
        let mount = try #require((pickerContainer["volumeMounts"] as? [[String: Any]])?.first { configPath.hasPrefix(($0["mountPath"] as? String ?? "?") + "/") })
        let volume = try #require((Self.at(picker, "spec", "template", "spec", "volumes") as? [[String: Any]])?.first { $0["name"] as? String == mount["name"] as? String })
        let configMap = try Self.find(docs, kind: "ConfigMap", name: try #require(Self.at(volume, "configMap", "name") as? String))
        let key = String(configPath.split(separator: "/").last ?? "")
        let epp = try #require(Self.at(configMap, "data_parsed", key) as? [String: Any], "\(key) in the ConfigMap")
        #expect(epp["kind"] as? String == "EndpointPickerConfig")
        let types = Set((epp["plugins"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String ?? $0["type"] as? String })
        #expect(types.isSuperset(of: ["lora-affinity-scorer", "queue-scorer", "kv-cache-utilization-scorer", "max-score-picker"]))
        for profile in epp["schedulingProfiles"] as? [[String: Any]] ?? [] {
            for ref in profile["plugins"] as? [[String: Any]] ?? [] {
                #expect(types.contains(ref["pluginRef"] as? String ?? "?"), "\(ref)")
            }
        }
    }

    @Test(.enabled(if: pythonWithYAML() != nil, "needs python3 with PyYAML"))
    func theReplicasConfigurationIsValidAndItsPathsAreMounted() throws {
        let docs = try Self.documents(python: try #require(Self.pythonWithYAML()))
        let configMap = try Self.find(docs, kind: "ConfigMap", name: "lorad-config")
        let text = try #require(Self.at(configMap, "data", "lorad.conf") as? String)
        let lorad = try Self.find(docs, kind: "Deployment", name: "lorad")
        let container = try #require((Self.at(lorad, "spec", "template", "spec", "containers") as? [[String: Any]])?.first)
        let mounts = (container["volumeMounts"] as? [[String: Any]] ?? []).compactMap { $0["mountPath"] as? String }
        let args = container["args"] as? [String] ?? []
        #expect(args.contains("/etc/lorad/lorad.conf") && mounts.contains("/etc/lorad"))

        // Every path the file names lies on a mounted volume.
        var values: [String: String] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") && line.contains("=") {
            let parts = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            values[parts[0]] = parts[1]
        }
        for key in ["model", "registry", "adapter_dirs", "hf_hub_cache", "admin_token_file"] {
            let path = try #require(values[key], "\(key) in lorad.conf")
            #expect(mounts.contains { path.hasPrefix($0 + "/") || path == $0 }, "\(key) = \(path) is on no volume")
        }

        // `lorad check-config` parses it as `lorad serve` would; the paths
        // that exist only in the pod are pointed at local stand-ins.
        let dir = try Fixtures.temporaryDirectory("lorad-deploy-conf")
        defer { try? FileManager.default.removeItem(at: dir) }
        let conf = dir.appendingPathComponent("lorad.conf")
        try Data(text.utf8).write(to: conf)
        let token = dir.appendingPathComponent("admin.token")
        try Data("token\n".utf8).write(to: token)
        let result = try ExternalTool.run(try LoradBinary.url().path, [
            "check-config", "--config", conf.path, "--model", Fixtures.tinyLlama.path,
            "--registry", dir.appendingPathComponent("registry.sqlite").path, "--admin-token-file", token.path,
            "--adapter-dirs", dir.path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("max_loras = \(values["max_loras"] ?? "?")"), "\(result.stdout)")
    }
}
