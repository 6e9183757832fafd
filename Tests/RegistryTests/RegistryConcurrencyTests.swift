import Foundation
import Testing
import TestSupport
@testable import Registry

@Suite struct RegistryConcurrencyTests {
    @Test func manyThreadsInsertReadAndListSafely() throws {
        let (registry, _) = try RegistryTestSupport.freshRegistry()
        let fixtures = try RegistryTestSupport.allFixtures()
        for fixture in fixtures { try registry.insert(fixture.newAdapter(), weights: fixture.weights) }
        let failures = FailureLog()
        DispatchQueue.concurrentPerform(iterations: 24) { i in
            do {
                let fixture = fixtures[i % fixtures.count]
                switch i % 4 {
                case 0:
                    try registry.insert(fixture.newAdapter(named: "copy-\(i)"), weights: fixture.weights)
                case 1:
                    // Everyone replaces the same name; the last commit wins.
                    try registry.insert(fixture.newAdapter(named: "contested"), weights: fixture.weights, replace: true)
                case 2:
                    if try registry.readWeights(named: fixture.folder) != fixture.weights {
                        failures.add("bytes differ for \(fixture.folder) on iteration \(i)")
                    }
                default:
                    let names = try registry.list().map(\.name)
                    if !names.contains(fixture.folder) { failures.add("list lost \(fixture.folder): \(names)") }
                    _ = try registry.load(named: fixture.folder)
                }
            } catch {
                failures.add("iteration \(i): \(error)")
            }
        }
        #expect(failures.messages.isEmpty, "\(failures.messages)")
        #expect(try registry.count() == fixtures.count + 6 + 1)
        for record in try registry.list() {
            #expect(try registry.verify(named: record.name), "\(record.name)")
        }
        let generations = try registry.list().map(\.generation)
        #expect(Set(generations).count == generations.count)
        #expect(try registry.integrityCheck() == "ok")
    }

    /// WAL + a separate reader connection: while an upload streams, reads see
    /// the last committed state instead of waiting or seeing half a row.
    @Test func readersSeeCommittedStateWhileAnUploadStreams() throws {
        let (registry, _) = try RegistryTestSupport.freshRegistry()
        let a = try RegistryTestSupport.fixture("python-qv-r8")
        try registry.insert(a.newAdapter(), weights: a.weights)
        var observed: [String] = []
        var bytesDuringUpload: Data?
        let source = RegistryTestSupport.ByteGenerator(seed: 3).source(byteCount: 4 << 20) { index, _ in
            guard index == 2 else { return }
            observed = try registry.list().map(\.name)
            bytesDuringUpload = try registry.readWeights(named: a.folder)
            if try registry.record(named: "streaming") != nil { observed.append("partial row visible") }
        }
        try registry.insert(NewAdapter(name: "streaming", configJSON: "{}"), weights: source)
        #expect(observed == [a.folder])
        #expect(bytesDuringUpload == a.weights)
        #expect(try registry.list().map(\.name) == [a.folder, "streaming"])
    }
}

extension RegistryConcurrencyTests {
    /// "Replace while in use: running requests keep the old version": a
    /// chunked read that started before a replace commits keeps streaming the
    /// old bytes; the next read sees the new ones. The replace (and a nested
    /// read) run from inside the chunk callback, which must not deadlock.
    @Test func chunkedReadKeepsItsVersionWhileAReplaceCommits() throws {
        let (registry, _) = try RegistryTestSupport.freshRegistry()
        let old = try RegistryTestSupport.fixture("upper-all-r4")
        let new = try RegistryTestSupport.fixture("python-qv-r8")
        let first = try registry.insert(old.newAdapter(named: "live"), weights: old.weights)
        var streamed = Data()
        var replacement: AdapterRecord?
        var seenDuring: AdapterRecord?
        let streamedRecord = try registry.readWeights(named: "live", chunkSize: 4096) { chunk in
            streamed.append(contentsOf: chunk)
            if replacement == nil {
                replacement = try registry.insert(new.newAdapter(named: "live"), weights: new.weights, replace: true)
                seenDuring = try registry.record(named: "live")
            }
        }
        #expect(streamedRecord == first)
        #expect(streamed == old.weights)
        #expect(seenDuring == replacement)
        #expect(try registry.readWeights(named: "live") == new.weights)
        #expect(try registry.load(named: "live").generation == replacement?.generation)
        #expect(try registry.integrityCheck() == "ok")
    }
}
