/// The `loop` variable of a `for` block (jinja2's `LoopContext`), which
/// also drives the iteration.
///
/// With a filter (`for x in xs if cond`), items are tested lazily as the
/// loop advances, as jinja2's generator does: a body that changes a
/// namespace affects the tests of later items. `loop.last`, `nextitem`
/// look one accepted item ahead; `length`, `revindex` test all the rest.
final class LoopState: @unchecked Sendable {  // owned by one render on one thread
    // vars only so that deinit can move them out
    private var source: [Value]
    private var accept: ((Value) throws -> Bool)?
    private var sourceIndex = 0
    /// Accepted items found by looking ahead, not yet iterated.
    private var ahead: [Value] = []
    private(set) var index0 = -1
    private var currentItem: Value? = nil
    private var previousItem: Value? = nil
    private var lastChanged: [Value]? = nil
    private var counted: Int? = nil
    let depth0: Int
    /// For a `recursive` loop: the loop and scope that `loop(items)` re-runs.
    private(set) var recursion: (loop: ForLoop, scope: Scope)?

    /// Every item of the loop (what a nesting check walks: `previtem` and
    /// `nextitem` hand them out).
    var items: [Value] { source }

    // A loop kept in a namespace may iterate over a list holding the previous one …: freed one by one (see `Graveyard`).
    deinit {
        Graveyard.bury(&source, leaving: [])
        Graveyard.bury(&ahead, leaving: [])
        Graveyard.bury(&currentItem, leaving: nil)
        Graveyard.bury(&previousItem, leaving: nil)
        Graveyard.bury(&lastChanged, leaving: nil)
        Graveyard.bury(&accept, leaving: nil)
        Graveyard.bury(&recursion, leaving: nil)
    }

    init(items: [Value], accept: ((Value) throws -> Bool)?, depth0: Int, recursion: (loop: ForLoop, scope: Scope)?) {
        source = items
        self.accept = accept
        self.depth0 = depth0
        self.recursion = recursion
        if accept == nil { counted = items.count }
    }

    /// The next accepted item, or nil at the end.
    func advance() throws -> Value? {
        let item: Value
        if !ahead.isEmpty {
            item = ahead.removeFirst()
        } else if let found = try findNext() {
            item = found
        } else {
            return nil
        }
        index0 += 1
        previousItem = currentItem
        currentItem = item
        return item
    }

    private func findNext() throws -> Value? {
        while sourceIndex < source.count {
            let candidate = source[sourceIndex]
            sourceIndex += 1
            if try accept?(candidate) ?? true { return candidate }
        }
        return nil
    }

    private func peek() throws -> Value? {
        if let first = ahead.first { return first }
        guard let next = try findNext() else { return nil }
        ahead.append(next)
        return next
    }

    /// Number of items the loop will have iterated in total.
    func length() throws -> Int {
        if let counted { return counted }
        while let next = try findNext() { ahead.append(next) }
        let total = index0 + 1 + ahead.count
        counted = total
        return total
    }

    var lengthIfKnown: Int? { counted }

    /// `loop.<name>`; nil for names a LoopContext does not have.
    func attribute(_ name: String) throws -> Value? {
        switch name {
        case "index0": return .int(index0)
        case "index": return .int(index0 + 1)
        case "first": return .bool(index0 == 0)
        case "last": return .bool(try peek() == nil)
        case "length": return .int(try length())
        case "revindex": return .int(try length() - index0)
        case "revindex0": return .int(try length() - index0 - 1)
        case "depth": return .int(depth0 + 1)
        case "depth0": return .int(depth0)
        case "previtem":
            return index0 == 0 ? .missing("there is no previous item") : (previousItem ?? .missing("there is no previous item"))
        case "nextitem": return try peek() ?? .missing("there is no next item")
        case "cycle", "changed": return .method(receiver: .loop(self), name: name)
        default: return nil
        }
    }

    /// `loop.cycle(a, b, …)`: the argument at `index0` modulo their count.
    func cycle(_ args: [Value]) throws -> Value {
        guard !args.isEmpty else { throw TemplateError(.type, "no items for cycling given") }
        return args[index0 % args.count]
    }

    /// `loop.changed(values…)`: true on the first call and whenever the values differ from the last call's.
    func changed(_ values: [Value]) throws -> Bool {
        if let last = lastChanged, try Value.pyEqual(.tuple(last), .tuple(values)) { return false }
        lastChanged = values
        return true
    }
}
