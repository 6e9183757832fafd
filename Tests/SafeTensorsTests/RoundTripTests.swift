import Foundation
import Testing
import SafeTensors
import TestSupport

@Suite struct RoundTripTests {
    /// Special values whose bits must survive untouched.
    static let specials: [Float] = [0, -0.0, 1, -1, .infinity, -.infinity, .nan,
                                    Float(bitPattern: 0x7FA0_0001), // signalling NaN with payload
                                    .leastNonzeroMagnitude, -.leastNormalMagnitude, .greatestFiniteMagnitude, 3.14159]

    @Test func writerThenReaderPreservesEveryTensorBitForBit() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var rng = SystemRandomNumberGenerator()
        let random = (0..<1000).map { _ in Float(bitPattern: UInt32.random(in: 0...UInt32.max, using: &rng)) }
        let url = dir.appendingPathComponent("t.safetensors")
        let raw16: [UInt16] = (0..<512).map { UInt16($0 * 128 + 1) }
        let entries = [
            SafeTensorsWriter.Entry(name: "a.weight", dtype: .f32, shape: [10, 100]),
            SafeTensorsWriter.Entry(name: "specials", dtype: .f32, shape: [Self.specials.count]),
            SafeTensorsWriter.Entry(name: "h", dtype: .f16, shape: [512]),
            SafeTensorsWriter.Entry(name: "b", dtype: .bf16, shape: [2, 256]),
            SafeTensorsWriter.Entry(name: "empty", dtype: .f32, shape: [0, 4]),
        ]
        let writer = try SafeTensorsWriter(entries: entries, metadata: ["format": "pt"])
        func bytes16(_ v: [UInt16]) -> [UInt8] { v.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] } }
        func bytes32(_ v: [Float]) -> [UInt8] { v.flatMap { f in (0..<4).map { UInt8(truncatingIfNeeded: f.bitPattern >> (8 * UInt32($0))) } } }
        try writer.write(to: url) { e in
            switch e.name {
            case "a.weight": return bytes32(random)
            case "specials": return bytes32(Self.specials)
            case "h", "b": return bytes16(raw16)
            default: return []
            }
        }
        let size = try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int
        #expect(size == writer.byteCount)

        let file = try SafeTensorsFile(contentsOf: url)
        #expect(file.metadata == ["format": "pt"])
        #expect(file.tensors.map(\.name) == entries.map(\.name))
        #expect(file.info("a.weight")?.shape == [10, 100])
        #expect(try file.floats("a.weight").map(\.bitPattern) == random.map(\.bitPattern))
        #expect(try file.floats("specials").map(\.bitPattern) == Self.specials.map(\.bitPattern))
        #expect(try file.floats("h").map(\.bitPattern) == raw16.map { FloatConversion.f16ToFloat($0).bitPattern })
        #expect(try file.floats("b").map(\.bitPattern) == raw16.map { FloatConversion.bf16ToFloat($0).bitPattern })
        #expect(try file.floats("empty").isEmpty)
        try file.withRawBytes("h") { #expect(Array($0) == bytes16(raw16)) }

        // The same bytes from memory parse identically.
        let mem = try SafeTensorsFile(data: try Data(contentsOf: url), name: "upload")
        #expect(mem.tensors == file.tensors)
        #expect(try mem.floats("a.weight").map(\.bitPattern) == random.map(\.bitPattern))
    }

    @Test func headerIsPaddedToEightBytesAndOutputIsDeterministic() throws {
        let e = [SafeTensorsWriter.Entry(name: "x\"y", dtype: .f32, shape: [1])]
        let w1 = try SafeTensorsWriter(entries: e, metadata: ["b": "2", "a": "1"])
        let w2 = try SafeTensorsWriter(entries: e, metadata: ["a": "1", "b": "2"])
        #expect(w1.headerBytes == w2.headerBytes)
        #expect(w1.headerBytes.count % 8 == 0)
        let json = try JSONSerialization.jsonObject(with: Data(w1.headerBytes[8...])) as? [String: Any]
        #expect(json?["x\"y"] != nil)
    }

    /// Encoding refuses finite values the dtype can only hold as infinity
    /// and names the tensor and the count: for F16 from 65520 on (65519
    /// rounds down to 65504), for BF16 only the top of F32's range; given
    /// infinities and NaN pass through.
    @Test func encodingRefusesFiniteValuesPastTheDTypesRange() throws {
        let values: [Float] = [1, 65504, 65519, 65520, -1e6, .infinity, .nan, -.greatestFiniteMagnitude]
        #expect(throws: SafeTensorsError.invalidWriterEntry(
            tensor: "w", reason: "3 value(s) lie past the largest F16 value (±65504) and would be written as infinity")) {
            try SafeTensorsWriter.encode(values, as: .f16, tensor: "w")
        }
        #expect(throws: SafeTensorsError.self) { try SafeTensorsWriter.encode(values, as: .bf16, tensor: "w") }
        let bf16 = try SafeTensorsWriter.encode(Array(values.dropLast()), as: .bf16, tensor: "w")
        #expect(bf16.count == 2 * (values.count - 1))
        _ = try SafeTensorsWriter.encode(values, as: .f32, tensor: "w")
        _ = try SafeTensorsWriter.encode([65504, -65519, .infinity, .nan], as: .f16, tensor: "w")
    }

    @Test func writerRejectsWrongByteCountsAndDuplicateNames() throws {
        #expect(throws: SafeTensorsError.self) {
            try SafeTensorsWriter(entries: [.init(name: "a", dtype: .f32, shape: [1]), .init(name: "a", dtype: .f32, shape: [1])])
        }
        let w = try SafeTensorsWriter(entries: [.init(name: "a", dtype: .f32, shape: [2])])
        #expect(throws: SafeTensorsError.self) {
            try w.serialize(into: { _ in }, bytes: { _ in [0, 0, 0, 0] })
        }
    }

    @Test func fixtureModelHasTheShapesItsConfigDeclares() throws {
        let ckpt = try Checkpoint(folder: Fixtures.tinyLlama)
        #expect(ckpt.dtype == .f32)
        #expect(ckpt.info("model.embed_tokens.weight")?.shape == [2048, 128])
        #expect(ckpt.info("model.layers.3.self_attn.k_proj.weight")?.shape == [64, 128])
        #expect(ckpt.info("model.layers.0.mlp.down_proj.weight")?.shape == [128, 344])
        #expect(ckpt.info("lm_head.weight")?.shape == [2048, 128])
        #expect(ckpt.tensorNames.count == 4 * 9 + 3)
    }

    /// transformers cast the F32 fixture to BF16 with PyTorch's
    /// round-to-nearest-even: our narrowing must reproduce every bit.
    @Test func bf16FixtureEqualsOurRoundingOfTheF32Fixture() throws {
        let f32 = try Checkpoint(folder: Fixtures.tinyLlama)
        let bf16 = try Checkpoint(folder: Fixtures.tinyLlamaBF16)
        #expect(bf16.dtype == .bf16)
        #expect(bf16.tensorNames == f32.tensorNames)
        for name in f32.tensorNames {
            let ours = try f32.floats(name).map(FloatConversion.floatToBF16)
            #expect(ours == (try bf16.sixteenBitWords(name)), "tensor \(name)")
        }
    }
}
