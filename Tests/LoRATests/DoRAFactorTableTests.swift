import Foundation
import Testing
@testable import LoRA
import TestSupport

/// DoRA factors kept from an earlier load (`DoRAFactorTable`, what the
/// registry stores) and handed back to the loader: used where they can be
/// what the loader computes, recomputed where they cannot; either way the
/// adapter equals one loaded fresh, and serves PEFT's references.
@Suite struct DoRAFactorTableTests {
    static func files(_ name: String) throws -> (config: Data, weights: Data) {
        let folder = Fixtures.adapter(name)
        return (try Data(contentsOf: folder.appendingPathComponent(AdapterLoader.configFileName)),
                try Data(contentsOf: folder.appendingPathComponent(AdapterLoader.weightsFileName)))
    }

    static func load(_ name: String, stored: DoRAFactorTable?) throws -> LoadedAdapter {
        let files = try files(name)
        return try AdapterLoader.load(name: name, configJSON: files.config, safetensors: files.weights,
                                      base: AdapterFidelityTests.model.get().weights, storedFactors: stored)
    }

    /// Bit patterns, so a NaN or a signed zero could not compare equal by accident.
    static func bits(_ adapter: LoRAAdapter) -> [LinearID: [UInt32]] {
        adapter.modules.compactMapValues { $0.doraFactor?.map(\.bitPattern) }
    }

    /// Encoded as the registry stores it and decoded again.
    static func roundTrip(_ table: DoRAFactorTable) throws -> DoRAFactorTable {
        let encoded = table.encoded
        return try DoRAFactorTable(modules: encoded.modules, factors: encoded.factors)
    }

    @Test(arguments: Fixtures.doraAdapterNames)
    func storedFactorsGiveTheFreshAdapterAndPEFTsOutputs(adapter name: String) throws {
        let fresh = try Self.load(name, stored: nil)
        #expect(fresh.factorsReused == 0)
        let table = try Self.roundTrip(DoRAFactorTable(fresh.adapter))
        #expect(table.factors.count == fresh.adapter.modules.count)
        let reloaded = try Self.load(name, stored: table)
        #expect(reloaded.factorsReused == fresh.adapter.modules.count)
        #expect(Self.bits(reloaded.adapter) == Self.bits(fresh.adapter))

        let refs = try DoRAFidelityTests.references.get()
        for prompt in refs.prompts {
            let expected = try #require(refs.result(name, prompt.name))
            let (logits, tokens) = try AdapterFidelityTests.run(prompt.input_ids, mix: [AdapterUse(reloaded.adapter)],
                                                                count: expected.generated_ids.count)
            let (freshLogits, freshTokens) = try AdapterFidelityTests.run(
                prompt.input_ids, mix: [AdapterUse(fresh.adapter)], count: expected.generated_ids.count)
            #expect(logits.map(\.bitPattern) == freshLogits.map(\.bitPattern), "\(name) on \(prompt.name)")
            #expect(tokens == freshTokens && tokens == expected.generated_ids, "\(name) on \(prompt.name)")
            #expect(DoRAFidelityTests.maxAbsDiff(logits, expected.last_logits) <= 1e-4, "\(name) on \(prompt.name)")
        }
    }

    /// The loader takes a stored factor as it is (it cannot recompute it to
    /// compare without losing the point): factors that fit but differ from
    /// the fresh ones show up in the adapter. Whoever stores them must key
    /// them by the base (the daemon's factors fingerprint).
    @Test func aFittingStoredFactorIsUsedAsStored() throws {
        let fresh = try Self.load("dora-qv-r8", stored: nil)
        let doubled = DoRAFactorTable(factors: DoRAFactorTable(fresh.adapter).factors.mapValues { $0.map { $0 * 2 } })
        let reloaded = try Self.load("dora-qv-r8", stored: doubled)
        #expect(reloaded.adapter.modules.compactMapValues(\.doraFactor) == doubled.factors)
    }

    /// One damaged module (too few rows, a NaN, an infinity, a sign that m
    /// does not have, a module of another layer) is recomputed; the others
    /// are taken as stored; the adapter equals the fresh one bit for bit.
    @Test(arguments: ["short", "nan", "inf", "sign", "missing"])
    func aDamagedStoredFactorIsRecomputed(damage: String) throws {
        let name = "dora-all-r4-rslora"
        let fresh = try Self.load(name, stored: nil)
        var factors = DoRAFactorTable(fresh.adapter).factors
        let victim = try #require(factors.keys.sorted().dropFirst(3).first)
        switch damage {
        case "short": factors[victim]?.removeLast()
        case "nan": factors[victim]?[1] = .nan
        case "inf": factors[victim]?[0] = .infinity
        case "sign": factors[victim]?[2].negate()
        default: factors[victim] = nil
        }
        let reloaded = try Self.load(name, stored: try Self.roundTrip(DoRAFactorTable(factors: factors)))
        #expect(reloaded.factorsReused == fresh.adapter.modules.count - 1)
        #expect(Self.bits(reloaded.adapter) == Self.bits(fresh.adapter))
    }

    /// What cannot be decoded is refused with the line or size named (the
    /// daemon then loads as if nothing were stored).
    @Test func undecodableStoredFactorsAreRefusedByName() throws {
        let table = DoRAFactorTable(try Self.load("dora-qv-r8", stored: nil).adapter)
        let (modules, values) = table.encoded
        #expect(throws: DoRAFactorTableError.sizeMismatch(bytes: values.count - 1, expected: values.count)) {
            try DoRAFactorTable(modules: modules, factors: values.dropLast())
        }
        #expect(throws: DoRAFactorTableError.sizeMismatch(bytes: values.count + 4, expected: values.count)) {
            try DoRAFactorTable(modules: modules, factors: values + Data(count: 4))
        }
        let bad = "model.layers.0.mlp.q_proj 64"
        #expect(throws: DoRAFactorTableError.malformedModuleLine(index: 0, line: bad)) {
            try DoRAFactorTable(modules: bad, factors: values)
        }
        let first = String(modules.split(separator: "\n")[0])
        #expect(throws: DoRAFactorTableError.duplicateModule(String(first.split(separator: " ")[0]))) {
            try DoRAFactorTable(modules: first + "\n" + first, factors: values)
        }
    }

    @Test func aPlainLoRAAdapterHasNoFactorsAndIgnoresATable() throws {
        let files = try Self.files("python-qv-r8")
        let base = try AdapterFidelityTests.model.get().weights
        let plain = try AdapterLoader.load(name: "p", configJSON: files.config, safetensors: files.weights, base: base)
        #expect(DoRAFactorTable(plain.adapter).isEmpty)
        let dora = DoRAFactorTable(try Self.load("dora-qv-r8", stored: nil).adapter)
        let again = try AdapterLoader.load(name: "p", configJSON: files.config, safetensors: files.weights, base: base,
                                           storedFactors: dora)
        #expect(again.factorsReused == 0 && !again.adapter.isDoRA)
    }
}
