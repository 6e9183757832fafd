import SafeTensors

extension Checkpoint {
    /// A 16-bit tensor's stored elements as they are (little-endian words):
    /// what a BF16 or F16 rounding is compared against bit for bit.
    public func sixteenBitWords(_ tensor: String) throws -> [UInt16] {
        try withRawBytes(tensor) { raw in
            (0..<(raw.count / 2)).map { UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self)) }
        }
    }
}
