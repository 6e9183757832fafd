/// A decoder from tokenizer.json: turns the token strings back into text.
/// Each step maps a list of strings to a list of strings
/// (tokenizers `Decoder::decode_chain`); the final result is their concatenation.
indirect enum TokenDecoder: Sendable {
    /// Byte-level: each token's stand-in characters back to bytes, then lossy UTF-8.
    case byteLevel
    /// Metaspace: the replacement becomes a space; in the first token it is
    /// removed instead unless `prepend_scheme` is "never" (metaspace.rs).
    case metaspace(replacement: Unicode.Scalar, stripFirst: Bool)
    /// Replace with a literal pattern, per token.
    case replace(pattern: String, content: String)
    /// Runs of `<0xNN>` tokens become their UTF-8 text, or one U+FFFD per byte if invalid.
    case byteFallback
    /// Concatenate everything into one token.
    case fuse
    /// Remove up to `start` leading and `stop` trailing `content` characters of each token.
    case strip(content: Unicode.Scalar, start: Int, stop: Int)
    /// BPEDecoder: the end-of-word suffix becomes a space (none after the last token).
    case bpeSuffix(String)
    case sequence([TokenDecoder])

    func decode(_ tokens: [String]) -> String { decodeChain(tokens).joined() }

    func decodeChain(_ tokens: [String]) -> [String] {
        switch self {
        case .byteLevel:
            var bytes: [UInt8] = []
            for t in tokens {
                // byte_level.rs: a token with any character outside the
                // table contributes its own UTF-8 bytes unchanged.
                let start = bytes.count
                var ok = true
                for s in t.unicodeScalars {
                    if let b = ByteLevelAlphabet.scalarToByte[s.value] { bytes.append(b) } else { ok = false; break }
                }
                if !ok {
                    bytes.removeSubrange(start...)
                    bytes.append(contentsOf: t.utf8)
                }
            }
            return [String(decoding: bytes, as: UTF8.self)]

        case let .metaspace(replacement, stripFirst):
            return tokens.enumerated().map { i, t in
                var out = String.UnicodeScalarView()
                for s in t.unicodeScalars {
                    if s == replacement {
                        if !(i == 0 && stripFirst) { out.append(" ") }
                    } else {
                        out.append(s)
                    }
                }
                return String(out)
            }

        case let .replace(pattern, content):
            return tokens.map { Normalizer.replaceLiteral($0, pattern, content) }

        case .byteFallback:
            var out: [String] = []
            var pending: [UInt8] = []
            func flush() {
                guard !pending.isEmpty else { return }
                // Lossy decoding changes the bytes exactly when they are invalid.
                let s = String(decoding: pending, as: UTF8.self)
                if s.utf8.elementsEqual(pending) {
                    out.append(s)
                } else {
                    out.append(contentsOf: repeatElement("\u{FFFD}", count: pending.count))
                }
                pending.removeAll()
            }
            for t in tokens {
                if let b = Self.byteTokenValue(t) {
                    pending.append(b)
                } else {
                    flush()
                    out.append(t)
                }
            }
            flush()
            return out

        case .fuse:
            return [tokens.joined()]

        case let .strip(content, start, stop):
            return tokens.map { t in
                var scalars = Array(t.unicodeScalars)
                var cutStart = 0
                while cutStart < min(start, scalars.count) && scalars[cutStart] == content { cutStart += 1 }
                var cutStop = 0
                while cutStop < min(stop, scalars.count - cutStart) && scalars[scalars.count - 1 - cutStop] == content { cutStop += 1 }
                scalars = Array(scalars[cutStart..<(scalars.count - cutStop)])
                return String(String.UnicodeScalarView(scalars))
            }

        case let .bpeSuffix(suffix):
            return tokens.enumerated().map { i, t in
                Normalizer.replaceLiteral(t, suffix, i == tokens.count - 1 ? "" : " ")
            }

        case let .sequence(steps):
            return steps.reduce(tokens) { $1.decodeChain($0) }
        }
    }

    /// The byte of a `<0xNN>` token (byte_fallback.rs: exactly 6 bytes,
    /// `<0x` … `>`, two hex digits in either case — or `+` and one digit:
    /// it parses them with Rust's `u8::from_str_radix`, which takes a sign).
    static func byteTokenValue(_ t: String) -> UInt8? {
        let u = Array(t.utf8)
        guard u.count == 6, u[0] == 0x3C, u[1] == 0x30, u[2] == 0x78, u[5] == 0x3E else { return nil }
        func hex(_ c: UInt8) -> UInt8? {
            switch c {
            case 0x30...0x39: return c - 0x30
            case 0x41...0x46: return c - 0x41 + 10
            case 0x61...0x66: return c - 0x61 + 10
            default: return nil
            }
        }
        if u[3] == 0x2B { return hex(u[4]) }
        guard let hi = hex(u[3]), let lo = hex(u[4]) else { return nil }
        return hi << 4 | lo
    }
}
