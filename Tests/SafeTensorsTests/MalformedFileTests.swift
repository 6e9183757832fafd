import Foundation
import Testing
@testable import SafeTensors
import TestSupport

/// Hand-made broken files: each must raise its specific error, never crash.
@Suite struct MalformedFileTests {
    /// 8-byte LE length + header + `dataBytes` zero bytes.
    func buffer(header: String, dataBytes: Int = 0, declaredLength: UInt64? = nil) -> Data {
        let h = Array(header.utf8)
        let n = declaredLength ?? UInt64(h.count)
        var d = Data((0..<8).map { UInt8(truncatingIfNeeded: n >> (8 * UInt64($0))) })
        d.append(contentsOf: h)
        d.append(Data(count: dataBytes))
        return d
    }

    func error(_ data: Data) -> SafeTensorsError? {
        do { _ = try SafeTensorsFile(data: data, name: "bad.safetensors"); return nil }
        catch let e as SafeTensorsError { return e }
        catch { return nil }
    }

    @Test func fileShorterThanTheLengthPrefixIsTruncated() {
        #expect(error(Data([1, 2, 3])) == .truncated(file: "bad.safetensors", size: 3))
        #expect(error(Data()) == .truncated(file: "bad.safetensors", size: 0))
    }

    @Test func headerLengthPastEndOfFileIsRejected() {
        let d = buffer(header: "{}", declaredLength: 1000)
        #expect(error(d) == .headerLengthPastEOF(file: "bad.safetensors", headerLength: 1000, fileSize: d.count))
    }

    @Test func hugeHeaderLengthIsRejectedBeforeAllocating() {
        let d = buffer(header: "{}", declaredLength: UInt64.max)
        guard case .headerTooLarge = error(d) else { Issue.record("expected headerTooLarge, got \(String(describing: error(d)))"); return }
    }

    @Test func headerThatIsNotJSONIsRejected() {
        guard case .headerNotJSON = error(buffer(header: "{not json")) else { Issue.record("expected headerNotJSON"); return }
        guard case .headerNotJSON = error(buffer(header: "[1,2]")) else { Issue.record("expected headerNotJSON for array"); return }
    }

    @Test func unknownDTypeNamesTheTensor() {
        let e = error(buffer(header: #"{"w":{"dtype":"F8_E9","shape":[2],"data_offsets":[0,2]}}"#, dataBytes: 2))
        #expect(e == .unknownDType(file: "bad.safetensors", tensor: "w", dtype: "F8_E9"))
        #expect(e?.description.contains("'w'") == true)
    }

    @Test func shapeThatDisagreesWithTheByteRangeIsRejected() {
        let e = error(buffer(header: #"{"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,20]}}"#, dataBytes: 20))
        #expect(e == .sizeMismatch(file: "bad.safetensors", tensor: "w", shape: [2, 3], dtype: "F32", expectedBytes: 24, actualBytes: 20))
    }

    @Test func offsetsOutsideTheDataSectionAreRejected() {
        let e = error(buffer(header: #"{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#, dataBytes: 8))
        #expect(e == .offsetsOutOfRange(file: "bad.safetensors", tensor: "w", offsets: [0, 16], dataSize: 8))
        let reversed = error(buffer(header: #"{"w":{"dtype":"F32","shape":[0],"data_offsets":[4,0]}}"#, dataBytes: 8))
        guard case .offsetsOutOfRange = reversed else { Issue.record("expected offsetsOutOfRange for begin > end"); return }
    }

    @Test func overlappingTensorsAreRejected() {
        let h = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#
        #expect(error(buffer(header: h, dataBytes: 12)) == .overlappingTensors(file: "bad.safetensors", first: "a", second: "b"))
    }

    @Test func holesAndTrailingBytesAreRejected() {
        let gap = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}"#
        #expect(error(buffer(header: gap, dataBytes: 12)) == .gapInData(file: "bad.safetensors", tensor: "b", expectedOffset: 4, actualOffset: 8))
        let trailing = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#
        #expect(error(buffer(header: trailing, dataBytes: 12)) == .trailingBytes(file: "bad.safetensors", dataEnd: 4, dataSize: 12))
    }

    @Test func nonIntegerShapesAndOffsetsAreRejected() {
        for shape in ["[-1]", "[1.5]", "[true]", #"["2"]"#] {
            let e = error(buffer(header: #"{"w":{"dtype":"U8","shape":\#(shape),"data_offsets":[0,2]}}"#, dataBytes: 2))
            guard case .invalidEntry(_, "w", _) = e else { Issue.record("shape \(shape): got \(String(describing: e))"); continue }
        }
        let e = error(buffer(header: #"{"w":{"dtype":"U8","shape":[2],"data_offsets":[0]}}"#, dataBytes: 2))
        guard case .invalidEntry(_, "w", _) = e else { Issue.record("offsets: got \(String(describing: e))"); return }
    }

    @Test func overflowingShapeIsRejected() {
        let e = error(buffer(header: #"{"w":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,0]}}"#))
        guard case .invalidEntry(_, "w", let reason) = e, reason.contains("overflow") else {
            Issue.record("got \(String(describing: e))"); return
        }
    }

    @Test func metadataMustBeStrings() {
        let e = error(buffer(header: #"{"__metadata__":{"format":1}}"#))
        guard case .invalidEntry(_, "__metadata__", _) = e else { Issue.record("got \(String(describing: e))"); return }
        let ok = try? SafeTensorsFile(data: buffer(header: #"{"__metadata__":{"format":"pt"}}"#), name: "ok")
        #expect(ok?.metadata == ["format": "pt"])
        #expect(ok?.tensors.isEmpty == true)
    }

    @Test func truncatedRealFileIsRejected() throws {
        let url = Fixtures.adapter("python-qv-r8").appendingPathComponent("adapter_model.safetensors")
        let full = try Data(contentsOf: url)
        for cut in [full.count - 1, full.count / 2, 100, 9] {
            let e = error(full.prefix(cut))
            #expect(e != nil, "cut at \(cut) bytes was accepted")
        }
    }

    @Test func missingTensorAndIntegerTensorReadsAreTypedErrors() throws {
        let f = try SafeTensorsFile(data: buffer(header: #"{"i":{"dtype":"I32","shape":[1],"data_offsets":[0,4]}}"#, dataBytes: 4), name: "x")
        #expect(throws: SafeTensorsError.missingTensor(file: "x", tensor: "nope")) { try f.floats("nope") }
        #expect(throws: SafeTensorsError.notFloatingPoint(file: "x", tensor: "i", dtype: "I32")) { try f.floats("i") }
    }
}
