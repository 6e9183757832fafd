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
        var h: UInt64 = 0x243f_6a88_85a3_08d3
        func mix(_ word: UInt64) {
            h = (h ^ word) &* 0x9e37_79b9_7f4a_7c15
            h = (h << 31) | (h >> 33)
        }
        for (id, shape) in base.linearShapes.sorted(by: { $0.key < $1.key }) {
            mix(UInt64(id.layer) << 32 | UInt64(LinearKind.allCases.firstIndex(of: id.kind) ?? 0))
            mix(UInt64(shape.outFeatures) << 32 | UInt64(shape.inFeatures))
            try base.withWeight(of: id) { w0 in   // (out, in)
                let raw = UnsafeRawBufferPointer(w0)
                let words = raw.count / 8
                for i in 0..<words { mix(raw.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self)) }
                if raw.count % 8 != 0 { mix(UInt64(raw.loadUnaligned(fromByteOffset: words * 8, as: UInt32.self))) }
            }
        }
        return h
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

    /// `adapter`'s factors in the registry's form against this base, or nil
    /// (plain LoRA, or the base's digest failed).
    public func factorsToStore(of adapter: LoRAAdapter) -> StoredDoRAFactors? {
        guard adapter.isDoRA, let key = factorsFingerprint else { return nil }
        let encoded = DoRAFactorTable(adapter).encoded
        return StoredDoRAFactors(baseFingerprint: key, modules: encoded.modules, factors: encoded.factors)
    }

    /// After a load of version `generation` of `name` that was handed
    /// `stored`: if the factors it ended with are not exactly those (none
    /// were stored, another base's, or some were damaged and recomputed),
    /// stores them in their own transaction, off the request's path.
    public func keepFactors(of adapter: LoRAAdapter, name: String, generation: Int64, stored: DoRAFactorTable?) {
        guard adapter.isDoRA, DoRAFactorTable(adapter) != stored, let factors = factorsToStore(of: adapter) else { return }
        let registry = registry
        writes.async {
            _ = try? registry.storeDoRAFactors(named: name, generation: generation, factors)
        }
    }
}
