import TestSupport
import Testing
@testable import HTTP1

/// Splitting the input must never change what the decoder sees.
@Suite struct DecoderPropertyTests {
    @Test(arguments: RequestCorpus.all.indices)
    func byteByByteFeedingMatchesWholeBuffer(index: Int) {
        let bytes = Array(RequestCorpus.all[index].utf8)
        let whole = decode([bytes])
        let single = decode(bytes.map { [$0] })
        #expect(single == whole, "corpus[\(index)]: \(single) vs \(whole)")
    }

    @Test func randomSplitsMatchWholeBuffer() {
        var rng = SplitMix64(seed: 0x10_0AD)
        for (index, text) in RequestCorpus.all.enumerated() {
            let bytes = Array(text.utf8)
            let whole = decode([bytes])
            for _ in 0..<20 {
                let split = decode(randomSplit(bytes, using: &rng))
                #expect(split == whole, "corpus[\(index)]: \(split) vs \(whole)")
            }
        }
    }

    @Test func corpusClassificationHolds() {
        for text in RequestCorpus.valid {
            #expect(decode(text).error == nil, "\(text.prefix(60))")
        }
        for text in RequestCorpus.invalid {
            #expect(decode(text).error != nil, "\(text.prefix(60))")
        }
    }
}
