/// A dictionary key that compares strings by their exact UTF-8 bytes.
///
/// Swift `String` equality is canonical equivalence ("é" == "e\u{301}"),
/// but vocabularies are byte-exact (Rust `String` keys): "Café" spelled
/// with U+00E9 and with e + U+0301 are different words with different ids.
struct ExactString: Hashable, Sendable {
    let value: String

    init(_ value: String) {
        var v = value
        v.makeContiguousUTF8() // so hashing and comparing can use the bytes directly
        self.value = v
    }

    static func == (a: ExactString, b: ExactString) -> Bool {
        a.value.utf8.count == b.value.utf8.count && a.value.utf8.elementsEqual(b.value.utf8)
    }

    func hash(into hasher: inout Hasher) {
        var v = value
        v.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }
}
