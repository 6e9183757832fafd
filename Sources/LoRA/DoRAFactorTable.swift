import Foundation

/// A DoRA adapter's factors g (at weight 1) by module, in the form kept
/// beside the adapter in the registry, so a reload need not recompute them
/// (out·in·r multiply-adds per module, `DoRAFactors`).
///
/// Encoded as a module list — one `modulePath rows` line per module, in
/// (layer, kind) order — and the factors of those modules back to back as
/// little-endian F32. They are valid only against the W0 they were computed
/// from: whoever stores them keys them by the base.
public struct DoRAFactorTable: Sendable, Equatable {
    /// Module → g: (out).
    public let factors: [LinearID: [Float]]

    public init(factors: [LinearID: [Float]]) {
        self.factors = factors
    }

    /// The factors of `adapter`'s DoRA modules (empty for plain LoRA).
    public init(_ adapter: LoRAAdapter) {
        factors = adapter.modules.compactMapValues(\.doraFactor)
    }

    public var isEmpty: Bool { factors.isEmpty }

    /// The module list and the values, for storage.
    public var encoded: (modules: String, factors: Data) {
        var lines: [String] = []
        var data = Data()
        for id in factors.keys.sorted() {
            guard let g = factors[id] else { continue }
            lines.append("\(id.modulePath) \(g.count)")
            data.reserveCapacity(data.count + g.count * 4)
            for value in g { withUnsafeBytes(of: value.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
        }
        return (lines.joined(separator: "\n"), data)
    }

    /// Decodes what `encoded` wrote.
    /// - Throws: `DoRAFactorTableError` naming the line or the size at fault
    ///   (the caller then computes the factors instead).
    public init(modules: String, factors data: Data) throws(DoRAFactorTableError) {
        var table: [LinearID: [Float]] = [:]
        var offset = 0
        for (index, line) in modules.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let fields = line.split(separator: " ", omittingEmptySubsequences: false)
            guard fields.count == 2, let id = LinearID(modulePath: String(fields[0])),
                  let rows = Int(fields[1]), rows > 0, rows <= data.count / 4
            else { throw .malformedModuleLine(index: index, line: String(line.prefix(120))) }
            guard table[id] == nil else { throw .duplicateModule(id.modulePath) }
            let end = offset + rows * 4
            guard end <= data.count else { throw .sizeMismatch(bytes: data.count, expected: end) }
            var g = [Float](repeating: 0, count: rows)
            data.withUnsafeBytes { raw in
                for o in 0..<rows {
                    g[o] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: offset + o * 4, as: UInt32.self)))
                }
            }
            table[id] = g
            offset = end
        }
        guard offset == data.count else { throw .sizeMismatch(bytes: data.count, expected: offset) }
        factors = table
    }

    /// The stored factor for module `id` if it can be what `DoRAFactors`
    /// computes for magnitude `m`: one value per output row, each finite,
    /// and of m's sign (g = m / n with n > 0), zero exactly where m is.
    /// Nil otherwise: the caller computes it.
    func factor(for id: LinearID, magnitude m: [Float]) -> [Float]? {
        guard let g = factors[id], g.count == m.count else { return nil }
        for o in g.indices {
            guard g[o].isFinite, (g[o] > 0) == (m[o] > 0), (g[o] < 0) == (m[o] < 0) else { return nil }
        }
        return g
    }
}
