/// jinja2's `namespace()` object: attributes that `{% set ns.attr = … %}`
/// may change from inside loops and blocks, which plain `set` cannot
/// (`jinja2.utils.Namespace`).
///
/// A render owns every namespace it creates and runs on one thread, so the
/// unsynchronised mutation cannot race.
final class Namespace: @unchecked Sendable {  // mutated only by the one render that created it, on its thread
    private(set) var attributes: PyDict

    init(_ attributes: PyDict) { self.attributes = attributes }

    subscript(name: String) -> Value? { attributes[string: name] }

    func set(_ name: String, _ value: Value) { attributes.set(.string(name), value) }

    // A namespace may hold a namespace that holds one …: freed one by one (see `Graveyard`).
    deinit { Graveyard.bury(&attributes, leaving: PyDict()) }
}
