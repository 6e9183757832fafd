/// A Python iterator or generator: yields the remaining items once. jinja2's
/// `select`, `reject`, `map`, `unique`, `batch`, `slice`, `items` filters are
/// generators and `reverse` returns a reverse iterator, so a template that
/// iterates the result twice sees it empty the second time, `|length` on it
/// fails, and it is true even when it will yield nothing.
///
/// Items are produced lazily through `transform` (nil drops the item), so a
/// test or filter runs only when the template asks for the item, as in Python.
final class PyIterator: @unchecked Sendable {  // consumed by the one render that made it, on its thread
    let typeName: String
    // vars only so that deinit can move them out
    private var source: [Value]
    private var transform: ((Value) throws -> Value?)?
    private var position = 0

    init(_ typeName: String, _ source: [Value], transform: ((Value) throws -> Value?)? = nil) {
        self.typeName = typeName
        self.source = source
        self.transform = transform
    }

    func next() throws -> Value? {
        while position < source.count {
            let item = source[position]
            position += 1
            guard let transform else { return item }
            if let produced = try transform(item) { return produced }
        }
        return nil
    }

    /// The items not yet taken from the source (what a nesting check walks;
    /// a transform's own arguments are checked when the filter is applied).
    var pending: ArraySlice<Value> { source[min(position, source.count)...] }

    // An iterator's items or a transform's arguments may hold iterators …: freed one by one (see `Graveyard`).
    deinit {
        Graveyard.bury(&source, leaving: [])
        Graveyard.bury(&transform, leaving: nil)
    }

    /// Everything not yet yielded.
    func rest() throws -> [Value] {
        var out: [Value] = []
        while let v = try next() { out.append(v) }
        return out
    }
}
