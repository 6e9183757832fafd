/// Turns byte offsets into 1-based line/column (columns count code points),
/// walking forward from the last answer so a whole template costs one pass.
struct PositionTracker {
    let bytes: [UInt8]
    private var offset = 0, line = 1, column = 1

    init(bytes: [UInt8]) { self.bytes = bytes }

    mutating func location(at target: Int) -> SourceLocation {
        if target < offset { offset = 0; line = 1; column = 1 }
        let end = min(target, bytes.count)
        while offset < end {
            let b = bytes[offset]
            if b == UInt8(ascii: "\n") {
                line += 1
                column = 1
            } else if b & 0xC0 != 0x80 {
                column += 1
            }
            offset += 1
        }
        return SourceLocation(line: line, column: column)
    }
}
