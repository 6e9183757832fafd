import Foundation
import Testing
import SafeTensors
import TestSupport

@Suite struct ShardedCheckpointTests {
    func writeShards(in dir: URL, index: [String: String]) throws {
        try SafeTensorsWriter.write([("a", .f32, [2], [1, 2]), ("b", .bf16, [1], [3])],
                                    to: dir.appendingPathComponent("model-00001-of-00002.safetensors"))
        try SafeTensorsWriter.write([("c", .f16, [3], [4, 5, 6])],
                                    to: dir.appendingPathComponent("model-00002-of-00002.safetensors"))
        let json = try JSONSerialization.data(withJSONObject: ["metadata": ["total_size": 20], "weight_map": index])
        try json.write(to: dir.appendingPathComponent("model.safetensors.index.json"))
    }

    @Test func shardedCheckpointResolvesEveryTensorThroughTheIndex() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try writeShards(in: dir, index: ["a": "model-00001-of-00002.safetensors",
                                         "b": "model-00001-of-00002.safetensors",
                                         "c": "model-00002-of-00002.safetensors"])
        let ckpt = try Checkpoint(folder: dir)
        #expect(ckpt.files.count == 2)
        #expect(ckpt.tensorNames == ["a", "b", "c"])
        #expect(try ckpt.floats("a") == [1, 2])
        #expect(try ckpt.floats("b") == [3])
        #expect(try ckpt.floats("c") == [4, 5, 6])
        #expect(ckpt.info("c")?.dtype == .f16)
    }

    @Test func indexNamingATensorItsShardLacksIsRejected() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try writeShards(in: dir, index: ["a": "model-00002-of-00002.safetensors",
                                         "c": "model-00002-of-00002.safetensors"])
        #expect(throws: SafeTensorsError.self) { try Checkpoint(folder: dir) }
    }

    @Test func indexEscapingTheFolderIsRejected() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try writeShards(in: dir, index: ["a": "../model.safetensors"])
        do { _ = try Checkpoint(folder: dir); Issue.record("accepted") }
        catch let e as SafeTensorsError {
            guard case .invalidIndex = e else { Issue.record("got \(e)"); return }
        }
    }

    @Test func folderWithoutWeightsIsAClearError() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(throws: SafeTensorsError.noWeights(folder: dir.path)) { try Checkpoint(folder: dir) }
    }
}
