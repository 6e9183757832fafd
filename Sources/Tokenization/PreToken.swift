/// One piece of text on its way to the model: a normalized segment between
/// added tokens, then the smaller pieces pre-tokenizers cut it into.
struct PreToken {
    /// The text as Unicode scalars (Rust `char`s).
    var scalars: [Unicode.Scalar]
    /// Whether this piece starts at offset 0 of the original input — what
    /// Metaspace's `prepend_scheme: "first"` tests (`offsets_original().0 == 0`).
    var atStart: Bool
}
