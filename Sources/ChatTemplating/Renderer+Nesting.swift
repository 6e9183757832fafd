/// How deep a value may be where it is kept. Lists in lists are freed,
/// copied and compared recursively, one call per level; a template that
/// wraps a value once per statement or per loop iteration
/// (`{% set ns.x = [ns.x] %}` a million times) would build one deep enough
/// to overflow the stack when it is freed. Python builds it (and frees it
/// without recursion), but cannot print or compare it either (jinja2 fails
/// with a RecursionError), so the limit that already stops printing at
/// `Value.maxNesting` levels stops keeping such a value too.
///
/// Checked where a value outlives the expression that made it: assigned to
/// a name or a namespace attribute, passed to a macro, given to
/// `namespace()`, or captured by a lazy filter (`map`, `select`…), unless
/// it was only looked up in a value already kept (`Expr.isLookup`). Within
/// one expression a value grows at most by the expression's height, which
/// the parser bounds (`maxTreeDepth`). Namespaces and macros are not walked
/// into: what they hold was checked when it was put there, and `Graveyard`
/// frees chains of them without recursion.
extension Renderer {
    /// Refuses `value` if it nests containers deeper than `Value.maxNesting`.
    /// Charges a step per 64 containers and items walked: looking at an
    /// item is about as cheap as copying it, and `ns.items = ns.items + [x]`
    /// in a loop walks (and copies) the whole list every time. A list
    /// shared several times in the value is walked once (`NestingWalk`), so
    /// `x = [x, x]` repeated does not walk 2ⁿ paths.
    func checkNesting(_ value: Value) throws {
        var walk = NestingWalk()
        _ = try height(value, depth: 0, &walk)
        try charge(walk.unchargedVisits / 64)
    }

    func checkNesting(_ args: CallArguments) throws {
        for v in args.positional { try checkNesting(v) }
        for k in args.keyword { try checkNesting(k.value) }
    }

    /// Containers nested in `value` (0 for a scalar), refused when the
    /// deepest would sit at `Value.maxNesting` levels or more below the root.
    private func height(_ value: Value, depth: Int, _ walk: inout NestingWalk) throws -> Int {
        switch value {
        case .list(let items), .tuple(let items): return try height(of: items, depth: depth, &walk)
        case .dict(let d): return try height(of: d, depth: depth, &walk)
        case .view(let v): return try height(of: v.dict, depth: depth, &walk)
        case .method(let receiver, _): return try height(of: [receiver], depth: depth, &walk)
        case .iterator(let it): return try height(of: it.pending, depth: depth, &walk)
        case .loop(let loop): return try height(of: loop.items, depth: depth, &walk)
        case .undefined, .none, .bool, .int, .float, .string, .namespace, .macro, .builtin: return 0
        }
    }

    private func height(of d: PyDict, depth: Int, _ walk: inout NestingWalk) throws -> Int {
        max(try height(of: d.keys, depth: depth, &walk), try height(of: d.values, depth: depth, &walk))
    }

    private func height(of items: [Value], depth: Int, _ walk: inout NestingWalk) throws -> Int {
        // Only a container of two or more items can make the walk branch.
        guard items.count > 1 else { return try height(of: items[...], depth: depth, &walk) }
        let buffer = items.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress) }
        if let buffer, let known = walk.heights[buffer] {
            guard depth + known <= Value.maxNesting else { throw TemplateError.tooDeep() }
            return known
        }
        let h = try height(of: items[...], depth: depth, &walk)
        // A list of scalars (a message's fields) is not worth remembering.
        if let buffer, h > 1 { walk.heights[buffer] = h }
        return h
    }

    private func height(of items: ArraySlice<Value>, depth: Int, _ walk: inout NestingWalk) throws -> Int {
        guard depth < Value.maxNesting else { throw TemplateError.tooDeep() }
        walk.unchargedVisits += 1 + items.count
        if walk.unchargedVisits >= 1 << 16 {
            try charge(walk.unchargedVisits / 64)
            walk.unchargedVisits %= 64
        }
        var tallest = 0
        for item in items { tallest = max(tallest, try height(item, depth: depth + 1, &walk)) }
        return tallest + 1
    }
}
