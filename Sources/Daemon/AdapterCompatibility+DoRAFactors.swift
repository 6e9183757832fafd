import Foundation
import LoRA
import Registry

/// DoRA factors kept in the registry. A factor g = m / ‖W0ᵢ + s·BᵢA‖ costs
/// out·in·r multiply-adds per module; it depends only on the adapter's bytes
/// (A, B, m, the config's scale) and on the exact W0 the model holds. So it
/// is computed when the adapter is first validated, stored with the
/// adapter's version under a fingerprint of the resident linears' values,
/// and a reload after eviction or a restart on that same base reads it
/// back instead of recomputing (the loader still checks every value).
extension AdapterCompatibility {
    /// The key stored factors are valid under: the validation fingerprint
    /// (config, identity, shapes), the resident weights' format (a BF16
    /// copy of a base has other W0 values than its F32 checkpoint) and a
    /// digest of the values of every linear as the loader reads them.
    public static func factorsFingerprint(validation: String, weightsFormat: String, valuesDigest: UInt64) -> String {
        var hasher = SHA256()
        for text in [validation, weightsFormat, String(valuesDigest, radix: 16)] {
            hasher.update(Array("\(text.utf8.count):".utf8))
            hasher.update(Array(text.utf8))
        }
        return hasher.finalizeHex()
    }

    /// A 64-bit digest of every linear's W0 as `withWeight` hands it to the
    /// DoRA loader (widened to F32; the originals while a live merge is in
    /// place), in module order with each shape: any changed value changes it
    /// (not a defence against a crafted base — the operator chooses the base).
    public static func valuesDigest(of base: some BaseLinears) throws -> UInt64 {
        var lanes: (UInt64, UInt64, UInt64, UInt64) = (0x243f_6a88_85a3_08d3, 0x1319_8a2e_0370_7344,
                                                        0xa409_3822_299f_31d0, 0x082e_fa98_ec4e_6c89)
        for (id, shape) in base.linearShapes.sorted(by: { $0.key < $1.key }) {
            let header = [UInt64(id.layer) &<< 32 | UInt64(LinearKind.allCases.firstIndex(of: id.kind) ?? 0),
                          UInt64(shape.outFeatures) &<< 32 | UInt64(shape.inFeatures)]
            header.withUnsafeBytes { mix(UnsafeRawBufferPointer($0), into: &lanes) }
            try base.withWeight(of: id) { w0 in mix(UnsafeRawBufferPointer(w0), into: &lanes) }   // (out, in)
        }
        var h = lanes.0
        for lane in [lanes.1, lanes.2, lanes.3] { h = (h ^ lane) &* 0x9e37_79b9_7f4a_7c15 }
        return h ^ (h &>> 29)
    }

    /// Folds `bytes` into four multiply-rotate lanes, 32 bytes a round (four
    /// independent chains, so the loop runs at memory speed, not at one
    /// multiply's latency per word); a tail of fewer bytes goes into lane 0.
    private static func mix(_ bytes: UnsafeRawBufferPointer, into lanes: inout (UInt64, UInt64, UInt64, UInt64)) {
        guard let p = bytes.baseAddress else { return }
        @inline(__always) func step(_ h: UInt64, _ word: UInt64) -> UInt64 {
            let m = (h ^ word) &* 0x9e37_79b9_7f4a_7c15
            return m &<< 31 | m &>> 33
        }
        var (a, b, c, d) = lanes
        let rounds = bytes.count / 32
        for r in 0..<rounds {
            let q = p + r * 32
            a = step(a, q.loadUnaligned(as: UInt64.self))
            b = step(b, q.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
            c = step(c, q.loadUnaligned(fromByteOffset: 16, as: UInt64.self))
            d = step(d, q.loadUnaligned(fromByteOffset: 24, as: UInt64.self))
        }
        for i in rounds * 32..<bytes.count { a = step(a, UInt64(p.load(fromByteOffset: i, as: UInt8.self)) | 0x100) }
        lanes = (a, b, c, d)
    }

    /// `name`'s stored factors of version `generation` against this base,
    /// decoded; nil when none are stored or they do not decode (the loader
    /// then computes them, and `keepFactors` stores the result).
    public func storedFactors(name: String, generation: Int64) -> DoRAFactorTable? {
        guard let key = factorsFingerprint,
              let stored = try? registry.doraFactors(named: name, generation: generation, baseFingerprint: key)
        else { return nil }
        return try? DoRAFactorTable(modules: stored.modules, factors: stored.factors)
    }

    /// An adapter's DoRA factors in the registry's form against this base,
    /// or nil (none: plain LoRA; or the base's digest failed).
    public func factorsToStore(_ table: DoRAFactorTable) -> StoredDoRAFactors? {
        guard !table.isEmpty, let key = factorsFingerprint else { return nil }
        let encoded = table.encoded
        return StoredDoRAFactors(baseFingerprint: key, modules: encoded.modules, factors: encoded.factors)
    }

    /// After a load of version `generation` of `name` that was handed
    /// `stored`: if the factors it ended with are not exactly those (none
    /// were stored, another base's, or some were damaged and recomputed),
    /// stores them in their own transaction, off the request's path.
    public func keepFactors(of adapter: LoRAAdapter, name: String, generation: Int64, stored: DoRAFactorTable?) {
        let table = DoRAFactorTable(adapter)
        guard adapter.isDoRA, table != stored, let factors = factorsToStore(table) else { return }
        let registry = registry
        writes.async {
            _ = try? registry.storeDoRAFactors(named: name, generation: generation, factors)
        }
    }
}
