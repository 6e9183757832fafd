import Glibc

/// Finds line terminators in the decoder's buffer with `memchr`.
enum LineScanner {
    /// Index of the first LF in `buffer[from..<buffer.count]`, or nil.
    @inline(__always)
    static func firstLF(in buffer: [UInt8], from: Int) -> Int? {
        guard from < buffer.count else { return nil }
        return buffer.withUnsafeBufferPointer { p -> Int? in
            guard let base = p.baseAddress,
                  let hit = memchr(base + from, 0x0A, p.count - from) else { return nil }
            return base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
        }
    }

    /// The line `buffer[start..<lf]` without a trailing CR. A bare CR anywhere
    /// else in the line is an error (RFC 9112 §2.2).
    static func line(_ buffer: [UInt8], _ start: Int, _ lf: Int) throws(HTTPParseError) -> ArraySlice<UInt8> {
        var end = lf
        if end > start, buffer[end - 1] == 0x0D { end -= 1 }
        let line = buffer[start..<end]
        if line.contains(0x0D) { throw .bad(.badHeader, "bare CR in a line") }
        return line
    }
}
