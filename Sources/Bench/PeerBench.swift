import CLI
import Foundation
import Kernels
import Llama
import OrderedJSON
import SafeTensors

/// `lorad-bench peer`: lorad beside llama.cpp on the same weights, in one
/// run. The synthetic SmolLM-135M-shaped model is written once as a Hugging
/// Face folder (what lorad loads) and once per dtype as GGUF (what
/// `llama-bench` loads, same values, q/k rows in llama.cpp's rotary order);
/// each round times lorad's single-stream decode and 128-token prefill, then
/// llama-bench's tg and pp on the same dtype, so a change of load hits both.
/// llama.cpp itself is not part of the repository: pass a `llama-bench`
/// binary built from its sources.
enum PeerBench {
    static let usage = """
    usage: lorad-bench peer --llama-bench PATH [--threads N] [--steps N] [--rounds N] [--dtypes LIST] [--keep DIR]
      --llama-bench PATH  llama.cpp's llama-bench executable (built from llama.cpp's sources)
      --threads N         threads for both engines (default: 2)
      --steps N           decode steps = llama-bench's -n (default: 64)
      --rounds N          alternating rounds, best of each side reported (default: 2)
      --dtypes LIST       resident weight dtypes, comma-separated from f32,bf16,f16 (default: all three)
      --keep DIR          write the model folder and GGUF files to DIR and keep them
    """

    static func run(_ args: [String]) throws {
        let a = try Arguments(args, valued: ["llama-bench", "threads", "steps", "rounds", "dtypes", "keep"], booleans: [])
        guard let llamaBench = a.value("llama-bench") else { throw UsageError.missing("--llama-bench PATH") }
        guard FileManager.default.isExecutableFile(atPath: llamaBench) else {
            throw UsageError.badValue(option: "llama-bench", value: llamaBench, expected: "an executable file")
        }
        let threads = try a.int("threads", default: 2, range: 1...256)
        let steps = try a.int("steps", default: 64, range: 4...10_000)
        let rounds = try a.int("rounds", default: 2, range: 1...100)
        var formats: [WeightFormat] = []
        for name in (a.value("dtypes") ?? "f32,bf16,f16").split(separator: ",") {
            guard let f = WeightFormat(rawValue: String(name)) else {
                throw UsageError.badValue(option: "dtypes", value: String(name), expected: "f32, bf16 or f16")
            }
            formats.append(f)
        }
        Compute.setThreads(threads)
        var report = BenchReport()
        report.add("kernel path", KernelPath.summary)
        let bandwidth = MachineProbe.readBandwidth(pool: .shared, pages: .huge)
        report.add("read bandwidth (\(threads) threads)", "\(format(bandwidth / 1e9, 2)) GB/s", "the bound: 2 MiB pages, like the weights")
        let fourKiB = MachineProbe.readBandwidth(pool: .shared, pages: .small)
        report.add("read bandwidth, 4 KiB pages", "\(format(fourKiB / 1e9, 2)) GB/s", "\(format(fourKiB / bandwidth, 2)) of the bound")

        let folder: URL
        if let keep = a.value("keep") { folder = URL(fileURLWithPath: keep) } else {
            folder = BenchTemporaries.path("lorad-peer")
        }
        defer { if a.value("keep") == nil { BenchTemporaries.remove(folder) } }
        try SyntheticModel.write(to: folder, family: .llama, tokenizerFrom: ModelLocator.defaultModel())

        for weights in formats {
            let name = weights.rawValue.uppercased()
            let gguf = folder.appendingPathComponent("model-\(weights.rawValue).gguf")
            try writeGGUF(folder: folder, format: weights, to: gguf)
            let model = try LlamaModel.load(folder: folder, weightsFormat: weights)
            let bytes = Double(model.weights.bytesReadPerToken)
            let bound = bandwidth / bytes
            let bench = ModelBench(model: model)
            // The same weights on 4 KiB pages: what the 2 MiB pages bring.
            let smallPages = ModelBench(model: try LlamaModel.load(folder: folder, weightsFormat: weights, pages: .small))
            var ours = (decode: 0.0, prefill: 0.0), theirs = (decode: 0.0, prefill: 0.0), small = 0.0
            for _ in 0..<rounds {
                ours.decode = max(ours.decode, try bench.decodeTokensPerSecond(mixes: [[]], steps: steps))
                small = max(small, try smallPages.decodeTokensPerSecond(mixes: [[]], steps: steps))
                ours.prefill = max(ours.prefill, try bench.prefill(tokens: 128).tokensPerSecond)
                let peer = try llamaBenchRates(llamaBench, model: gguf, threads: threads, steps: steps)
                theirs.decode = max(theirs.decode, peer.decode)
                theirs.prefill = max(theirs.prefill, peer.prefill)
            }
            func effective(_ rate: Double) -> String { "\(format(rate * bytes / 1e9, 1)) GB/s effective, \(format(rate / bound, 2)) of bound" }
            report.add("\(name): decode, 1 stream, lorad", "\(format(ours.decode)) tok/s", effective(ours.decode))
            report.add("\(name): decode, 1 stream, lorad on 4 KiB pages", "\(format(small)) tok/s",
                       effective(small) + "; 2 MiB ÷ 4 KiB pages = \(format(ours.decode / small, 3))")
            report.add("\(name): decode tg\(steps), llama.cpp", "\(format(theirs.decode)) tok/s", effective(theirs.decode))
            report.add("\(name): decode, lorad ÷ llama.cpp", format(ours.decode / theirs.decode, 3))
            report.add("\(name): prefill 128, lorad", "\(format(ours.prefill)) tok/s")
            report.add("\(name): prefill pp128, llama.cpp", "\(format(theirs.prefill)) tok/s")
            report.add("\(name): prefill, lorad ÷ llama.cpp", format(ours.prefill / theirs.prefill, 3))
        }
        print(report.markdown)
    }

    /// llama-bench's mean tokens/s for `-p 128` and `-n steps` (its JSON output).
    static func llamaBenchRates(_ executable: String, model: URL, threads: Int, steps: Int) throws -> (decode: Double, prefill: Double) {
        let out = BenchTemporaries.path("lorad-peer", suffix: ".json")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        defer { BenchTemporaries.remove(out) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["-m", model.path, "-t", String(threads), "-p", "128", "-n", String(steps), "-r", "3", "-o", "json"]
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw BenchError.failed("llama-bench exited with \(process.terminationStatus)") }
        let printed: JSONValue
        do { printed = try JSONValue.parse(try Data(contentsOf: out)) } catch {
            throw BenchError.failed("llama-bench's output is not its JSON report (-o json): \(error)")
        }
        var decode: Double?, prefill: Double?
        for test in try JSONNode(printed).array() {
            let rate = try test.required("avg_ts").double()
            if try test.int("n_gen", default: 0) > 0 { decode = rate } else if try test.int("n_prompt", default: 0) > 0 { prefill = rate }
        }
        guard let decode, let prefill else { throw BenchError.failed("llama-bench printed no tg and pp results") }
        return (decode, prefill)
    }

    /// The folder's checkpoint as GGUF in `format`: llama.cpp's tensor names,
    /// norms in F32 (as its converter keeps them), q/k rows permuted from
    /// Hugging Face's rotary layout (the two halves of each head) to ggml's
    /// (adjacent pairs), the inverse of transformers' conversion from Meta's.
    static func writeGGUF(folder: URL, format: WeightFormat, to url: URL) throws {
        let config = try LlamaConfig(json: Data(contentsOf: folder.appendingPathComponent("config.json")))
        guard config.family == .llama, config.biases.isEmpty, !config.hasQueryKeyNorm else {
            throw BenchError.failed("the GGUF writer knows only the Llama family without biases")
        }
        let checkpoint = try Checkpoint(folder: folder)
        let type = GGUFWriter.TensorType(format)
        var w = GGUFWriter()
        let vocab = config.vocabSize
        w.metadata = [
            ("general.architecture", .string("llama")),
            ("general.file_type", .uint32(type.fileType)),
            ("llama.context_length", .uint32(UInt32(config.maxPositionEmbeddings))),
            ("llama.embedding_length", .uint32(UInt32(config.hiddenSize))),
            ("llama.block_count", .uint32(UInt32(config.numHiddenLayers))),
            ("llama.feed_forward_length", .uint32(UInt32(config.intermediateSize))),
            ("llama.attention.head_count", .uint32(UInt32(config.numAttentionHeads))),
            ("llama.attention.head_count_kv", .uint32(UInt32(config.numKeyValueHeads))),
            ("llama.attention.layer_norm_rms_epsilon", .float32(config.rmsNormEps)),
            ("llama.rope.freq_base", .float32(Float(config.ropeTheta))),
            ("llama.rope.dimension_count", .uint32(UInt32(config.headDim))),
            // A stand-in SentencePiece vocabulary: llama-bench feeds token ids, never text.
            ("tokenizer.ggml.model", .string("llama")),
            ("tokenizer.ggml.tokens", .strings(["<unk>", "<s>", "</s>"] + (3..<vocab).map { "<t\($0)>" })),
            ("tokenizer.ggml.scores", .float32s([Float](repeating: 0, count: vocab))),
            ("tokenizer.ggml.token_type", .int32s([2, 3, 3] + [Int32](repeating: 1, count: vocab - 3))),
            ("tokenizer.ggml.bos_token_id", .uint32(1)),
            ("tokenizer.ggml.eos_token_id", .uint32(2)),
        ]
        func tensor(_ ggufName: String, _ hfName: String, norm: Bool = false, heads: Int? = nil) throws {
            guard let info = checkpoint.info(hfName) else { throw BenchError.failed("checkpoint lacks \(hfName)") }
            let t: GGUFWriter.TensorType = norm ? .f32 : type
            w.tensors.append(.init(name: ggufName, shape: info.shape, type: t) {
                var values = try checkpoint.floats(hfName)
                if let heads { values = ropePairsPermuted(values, heads: heads, rowLength: info.shape[1]) }
                return try SafeTensorsWriter.encode(values, as: t.dtype, tensor: ggufName)
            })
        }
        try tensor("token_embd.weight", "model.embed_tokens.weight")
        for l in 0..<config.numHiddenLayers {
            let hf = "model.layers.\(l).", gg = "blk.\(l)."
            try tensor(gg + "attn_norm.weight", hf + "input_layernorm.weight", norm: true)
            try tensor(gg + "ffn_norm.weight", hf + "post_attention_layernorm.weight", norm: true)
            try tensor(gg + "attn_q.weight", hf + "self_attn.q_proj.weight", heads: config.numAttentionHeads)
            try tensor(gg + "attn_k.weight", hf + "self_attn.k_proj.weight", heads: config.numKeyValueHeads)
            try tensor(gg + "attn_v.weight", hf + "self_attn.v_proj.weight")
            try tensor(gg + "attn_output.weight", hf + "self_attn.o_proj.weight")
            try tensor(gg + "ffn_gate.weight", hf + "mlp.gate_proj.weight")
            try tensor(gg + "ffn_up.weight", hf + "mlp.up_proj.weight")
            try tensor(gg + "ffn_down.weight", hf + "mlp.down_proj.weight")
        }
        try tensor("output_norm.weight", "model.norm.weight", norm: true)
        if !config.tieWordEmbeddings { try tensor("output.weight", "lm_head.weight") }
        try w.write(to: url)
    }

    /// Rows of a (heads·d, in) projection reordered per head from
    /// [first halves…, second halves…] to [(first₀, second₀), (first₁, second₁), …].
    static func ropePairsPermuted(_ values: [Float], heads: Int, rowLength: Int) -> [Float] {
        let rows = values.count / rowLength, d = rows / heads, half = d / 2
        var out = values
        for h in 0..<heads {
            for j in 0..<half {
                for t in 0..<2 {
                    let from = (h * d + t * half + j) * rowLength, to = (h * d + 2 * j + t) * rowLength
                    out[to..<(to + rowLength)] = values[from..<(from + rowLength)]
                }
            }
        }
        return out
    }
}
