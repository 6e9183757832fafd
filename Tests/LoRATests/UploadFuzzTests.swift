import Foundation
import LoRA
import Testing
import TestSupport

/// The upload path (safetensors header + adapter validation) on 10,000
/// mutated copies of a valid adapter: every one either loads or is refused
/// with an `AdapterError`; nothing traps, and memory stays bounded.
@Suite struct UploadFuzzTests {
    static let cases = 10_000

    /// Header JSON and data section of the fixture adapter.
    static func parts() throws -> (header: [UInt8], data: [UInt8]) {
        let file = [UInt8](try LoRATestSupport.weightsData("python-qv-r8"))
        let n = (0..<8).reduce(0) { $0 | Int(file[$1]) << (8 * $1) }
        return (Array(file[8..<(8 + n)]), Array(file[(8 + n)...]))
    }

    /// Tokens worth splicing into a header: extremes and JSON structure.
    static let splices: [String] = [
        "18446744073709551615", "9223372036854775807", "-1", "1e400", "-0", "2.0", "NaN", "null", "true",
        "\"F32\"", "\"F64\"", "\"I8\"", "[]", "{}", "[0]", "[0,0]", "[8,128]", "[128,8]", "\"", "\\u0000", ",", ":",
        "{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}",
        String(repeating: "[", count: 600), String(repeating: "9", count: 400),
    ]

    static func mutate(_ header: [UInt8], _ data: [UInt8], _ rng: inout SplitMix64) -> Data {
        var h = header, d = data
        for _ in 0..<Int.random(in: 1...3, using: &rng) {
            switch Int.random(in: 0..<7, using: &rng) {
            case 0 where !h.isEmpty:   // one byte changed
                h[Int.random(in: 0..<h.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
            case 1 where !h.isEmpty:   // a token spliced in over a short range
                let at = Int.random(in: 0..<h.count, using: &rng)
                let end = min(h.count, at + Int.random(in: 0...12, using: &rng))
                h.replaceSubrange(at..<end, with: Array(splices.randomElement(using: &rng)!.utf8))
            case 2:                    // a digit run replaced by an extreme number
                if let at = h.indices.filter({ h[$0] >= 0x30 && h[$0] <= 0x39 }).randomElement(using: &rng) {
                    var end = at
                    while end < h.count, h[end] >= 0x30 && h[end] <= 0x39 { end += 1 }
                    h.replaceSubrange(at..<end, with: Array(splices[Int.random(in: 0..<6, using: &rng)].utf8))
                }
            case 3:                    // an entry duplicated (same name twice)
                if let start = h.firstIndex(of: UInt8(ascii: "\"")), let close = h.firstIndex(of: UInt8(ascii: "}")),
                   start < close, h.count > close + 1 {
                    h.insert(contentsOf: Array(h[start...close]) + [UInt8(ascii: ",")], at: start)
                }
            case 4:                    // data truncated or extended
                d = Int.random(in: 0...1, using: &rng) == 0
                    ? Array(d.prefix(Int.random(in: 0...d.count, using: &rng)))
                    : d + [UInt8](repeating: 0, count: Int.random(in: 1...64, using: &rng))
            case 5 where h.count > 2:  // header cut short
                h = Array(h.prefix(Int.random(in: 1..<h.count, using: &rng)))
            default:                   // a random slice deleted
                guard h.count > 2 else { break }
                let at = Int.random(in: 0..<(h.count - 1), using: &rng)
                h.removeSubrange(at..<min(h.count, at + Int.random(in: 1...40, using: &rng)))
            }
        }
        // Usually a consistent length prefix; sometimes a lying one.
        var length = UInt64(h.count)
        if Int.random(in: 0..<8, using: &rng) == 0 {
            length = [0, 1, UInt64(h.count + 1), UInt64(h.count) &- 1, UInt64.max, 1 << 40].randomElement(using: &rng)!
        }
        var out = Data((0..<8).map { UInt8(truncatingIfNeeded: length >> (8 * UInt64($0))) })
        out.append(contentsOf: h)
        out.append(contentsOf: d)
        return out
    }

    @Test func tenThousandMutatedUploadsAreLoadedOrRefusedNeverCrash() throws {
        let (header, data) = try Self.parts()
        let config = try LoRATestSupport.configData("python-qv-r8")
        var rng = SplitMix64(seed: 0x5eed_f022)
        // The measure sees what is held (128 MB; others may free some meanwhile).
        let idle = try #require(ProcessMemory.heapInUseBytes())
        let held = [UInt8](repeating: 1, count: 128 << 20)
        #expect((ProcessMemory.heapInUseBytes() ?? 0) - idle >= 96 << 20)
        withExtendedLifetime(held) {}
        let before = ProcessMemory.heapInUseBytes() ?? ProcessMemory.residentBytes()
        var loaded = 0, refused = 0
        for _ in 0..<Self.cases {
            let file = Self.mutate(header, data, &rng)
            do {
                _ = try AdapterLoader.load(name: "fuzz", configJSON: config, safetensors: file, base: LoRATestSupport.tinyLlamaShapes)
                loaded += 1
            } catch is AdapterError {
                refused += 1
            }
        }
        #expect(loaded + refused == Self.cases)
        // Most mutations break the file; the check is that each was decided.
        #expect(refused > Self.cases / 2)
        // The live heap, not RSS: other tests share this process, and the
        // pages they freed stay resident; what they still hold is far below this.
        let grown = (ProcessMemory.heapInUseBytes() ?? ProcessMemory.residentBytes()) - before
        #expect(grown < 256 << 20, "the heap grew by \(grown >> 20) MB over the fuzz run")
    }
}
