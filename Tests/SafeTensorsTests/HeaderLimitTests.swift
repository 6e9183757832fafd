import Foundation
import Testing
@testable import SafeTensors

/// The header is bounded before it is parsed, and names are unique.
@Suite struct HeaderLimitTests {
    func file(header: String) -> Data {
        let h = Array(header.utf8)
        var d = Data((0..<8).map { UInt8(truncatingIfNeeded: UInt64(h.count) >> (8 * UInt64($0))) })
        d.append(contentsOf: h)
        return d
    }

    func error(_ data: Data, _ limits: SafeTensorsLimits = .checkpoint) -> SafeTensorsError? {
        do { _ = try SafeTensorsFile(data: data, name: "x.safetensors", limits: limits); return nil }
        catch let e as SafeTensorsError { return e }
        catch { return nil }
    }

    /// `{"t0000000": {zero-size F32}, ...}`: the break-test's memory bomb, small.
    func zeroSizeEntries(_ n: Int) -> String {
        "{" + (0..<n).map { #""t\#($0)":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}"# }.joined(separator: ",") + "}"
    }

    @Test func aHeaderLargerThanTheLimitIsRefusedBeforeParsing() {
        let limits = SafeTensorsLimits.atMost(tensors: 10)
        let d = file(header: zeroSizeEntries(2000))
        #expect(error(d, limits) == .headerTooLarge(file: "x.safetensors", headerLength: UInt64(d.count - 8),
                                                    limit: limits.maxHeaderBytes))
    }

    @Test func moreTensorsThanTheLimitAreRefusedNamingTheCount() {
        let limits = SafeTensorsLimits(maxHeaderBytes: 1 << 20, maxTensors: 10)
        #expect(error(file(header: zeroSizeEntries(11)), limits) == .tooManyTensors(file: "x.safetensors", count: 11, limit: 10))
        #expect(error(file(header: zeroSizeEntries(10)), limits) == nil)
    }

    @Test func metadataDoesNotCountAsATensor() {
        let limits = SafeTensorsLimits(maxHeaderBytes: 1 << 20, maxTensors: 1)
        let header = #"{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}}"#
        #expect(error(file(header: header), limits) == nil)
    }

    @Test func aTensorNameGivenTwiceIsRefusedNamingIt() {
        // JSONSerialization kept only the last; a second reader (PyTorch's) could pick the other.
        let header = #"{"w":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},"w":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}}"#
        guard case .invalidEntry(_, let tensor, let reason)? = error(file(header: header)) else {
            Issue.record("a duplicate tensor name must be refused"); return
        }
        #expect(tensor == "w")
        #expect(reason.contains("twice"))
    }

    @Test func offsetsBeyondAnyIntegerAreRefusedNotTrapped() {
        let header = #"{"w":{"dtype":"F32","shape":[18446744073709551615],"data_offsets":[0,18446744073709551615]}}"#
        guard case .invalidEntry(_, "w", let reason)? = error(file(header: header)) else {
            Issue.record("an out-of-range integer must be refused"); return
        }
        #expect(reason.contains("not a non-negative integer"))
    }

    @Test func adapterLimitsScaleWithTheTensorCount() {
        let small = SafeTensorsLimits.atMost(tensors: 10), large = SafeTensorsLimits.atMost(tensors: 1000)
        #expect(small.maxTensors == 10 && large.maxTensors == 1000)
        #expect(large.maxHeaderBytes - small.maxHeaderBytes == 990 * SafeTensorsLimits.bytesPerEntry)
    }

    @Test func theDeclaredHeaderLengthIsCheckedFromTheFirstEightBytes() throws {
        let limits = SafeTensorsLimits.atMost(tensors: 4)
        let ok = (0..<8).map { UInt8(truncatingIfNeeded: UInt64(limits.maxHeaderBytes) >> (8 * UInt64($0))) }
        #expect(throws: Never.self) { try limits.checkDeclaredHeader(ok, file: "x") }
        #expect(throws: Never.self) { try limits.checkDeclaredHeader([0xFF, 0xFF, 0xFF], file: "x") }   // not declared yet
        let bomb = (0..<8).map { UInt8(truncatingIfNeeded: UInt64(90_000_000) >> (8 * UInt64($0))) }
        #expect(throws: SafeTensorsError.headerTooLarge(file: "x", headerLength: 90_000_000, limit: limits.maxHeaderBytes)) {
            try limits.checkDeclaredHeader(bomb + [1, 2, 3], file: "x")
        }
    }
}
