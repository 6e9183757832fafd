/// GPT-2's reversible byte ↔ printable-character table (`bytes_to_unicode`
/// in openai/gpt-2 encoder.py, `BYTES_CHAR` in tokenizers byte_level.rs):
/// the printable Latin-1 bytes map to themselves, the other 68 bytes to
/// U+0100… in increasing byte order.
enum ByteLevelAlphabet {
    /// byte → scalar, (256)
    static let byteToScalar: [Unicode.Scalar] = {
        var table = [Unicode.Scalar](repeating: "\0", count: 256)
        var next: UInt32 = 256
        for b in 0..<256 {
            let printable = (0x21...0x7E).contains(b) || (0xA1...0xAC).contains(b) || (0xAE...0xFF).contains(b)
            if printable {
                table[b] = Unicode.Scalar(UInt32(b))!
            } else {
                table[b] = Unicode.Scalar(next)!
                next += 1
            }
        }
        return table
    }()

    /// scalar value → byte, for the 256 scalars of the table.
    static let scalarToByte: [UInt32: UInt8] = {
        var map: [UInt32: UInt8] = [:]
        for (b, s) in byteToScalar.enumerated() { map[s.value] = UInt8(b) }
        return map
    }()

    /// The byte-level form of `scalars`: their UTF-8 bytes, each as its table scalar.
    static func encode(_ scalars: ArraySlice<Unicode.Scalar>) -> [Unicode.Scalar] {
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(scalars.count)
        for s in scalars {
            if s.value < 0x80 {
                out.append(byteToScalar[Int(s.value)])
            } else {
                UTF8.encode(s) { out.append(byteToScalar[Int($0)]) }
            }
        }
        return out
    }
}
