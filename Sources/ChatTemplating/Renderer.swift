/// One render of a parsed template: the evaluator's state (budgets and
/// counters) and the statement interpreter. A fresh `Renderer` per call
/// keeps the parsed template immutable and shareable across threads.
final class Renderer {
    let limits: TemplateLimits
    let date: TemplateDate
    private(set) var steps = 0
    private var iterations = 0
    private var depth = 0
    private var callDepth = 0
    private var allocated = 0
    private let stack = StackGuard()

    init(limits: TemplateLimits, date: TemplateDate) {
        self.limits = limits
        self.date = date
    }

    enum Flow { case normal, breakLoop, continueLoop }

    // MARK: - Budgets

    /// Charges `n` evaluation steps.
    @inline(__always)
    func charge(_ n: Int = 1) throws {
        steps = steps.saturatingAdd(Swift.max(0, n))
        if steps > limits.maxSteps {
            throw TemplateError(.limit(.steps), "evaluation exceeded \(limits.maxSteps) steps")
        }
    }

    /// Charges the work of going through `bytes` bytes of text (one step per 64).
    func chargeText(_ bytes: Int) throws { try charge(1 + bytes / 64) }

    /// Accounts for a string about to be built: refuses it above the
    /// single-string bound and counts it against the memory budget.
    func reserveString(bytes: Int) throws {
        guard bytes <= limits.maxOutputBytes else {
            throw TemplateError(.limit(.outputBytes), "a string of \(bytes) bytes exceeds the limit of \(limits.maxOutputBytes) bytes")
        }
        try reserve(bytes: bytes)
    }

    /// Counts `bytes` against the memory budget (strings, list and dict slots).
    func reserve(bytes: Int) throws {
        // Compared before adding: a count near Int.max must not wrap the total.
        let bytes = Swift.max(0, bytes)
        guard bytes <= limits.maxAllocatedBytes - allocated else {
            allocated = limits.maxAllocatedBytes
            throw TemplateError(.limit(.allocatedBytes), "the template built more than \(limits.maxAllocatedBytes) bytes of values")
        }
        allocated += bytes
        try chargeText(bytes)
    }

    /// A string the template built, after accounting for it.
    func made(_ s: String) throws -> Value {
        try reserveString(bytes: s.utf8.count)
        return .string(s)
    }

    /// A list the template built, after accounting for it (16 bytes a slot).
    func made(list items: [Value]) throws -> Value {
        try reserve(bytes: items.count * 16)
        return .list(items)
    }

    /// One evaluator level deeper; refused beyond `maxEvaluationDepth` or
    /// when the thread's stack is nearly used up. Pair with `leave()`.
    @inline(__always)
    func enter() throws {
        depth += 1
        if depth > limits.maxEvaluationDepth || !stack.hasRoom() {
            let reached = depth
            depth -= 1
            throw TemplateError(.limit(.evaluationDepth), reached > limits.maxEvaluationDepth
                ? "evaluation nested deeper than \(limits.maxEvaluationDepth) levels"
                : "evaluation nested too deeply for this thread's stack (at \(reached) levels)")
        }
    }

    @inline(__always)
    func leave() { depth -= 1 }

    /// Runs `body` as a macro or recursive-loop call.
    func asCall<T>(_ body: () throws -> T) throws -> T {
        callDepth += 1
        defer { callDepth -= 1 }
        if callDepth > limits.maxCallDepth {
            throw TemplateError(.limit(.callDepth), "macro calls nested deeper than \(limits.maxCallDepth) levels")
        }
        return try body()
    }

    func countIteration() throws {
        iterations += 1
        if iterations > limits.maxLoopIterations {
            throw TemplateError(.limit(.loopIterations), "loops ran more than \(limits.maxLoopIterations) iterations")
        }
    }

    func emit(_ s: String, into out: inout String) throws {
        out += s
        if out.utf8.count > limits.maxOutputBytes {
            throw TemplateError(.limit(.outputBytes), "output exceeds \(limits.maxOutputBytes) bytes")
        }
    }

    // MARK: - Statements

    func exec(_ nodes: [Node], _ scope: Scope, _ out: inout String) throws -> Flow {
        for node in nodes {
            let flow = try exec(node, scope, &out)
            if case .normal = flow { continue }
            return flow
        }
        return .normal
    }

    // Each statement kind is its own function so that the frame of this
    // recursive dispatcher stays small (the stack guard counts on it).
    private func exec(_ node: Node, _ scope: Scope, _ out: inout String) throws -> Flow {
        try charge()
        try enter()
        defer { leave() }
        switch node {
        case .text(let s):
            try emit(s, into: &out)
        case .output(let e, let location):
            try execOutput(e, location, scope, &out)
        case .conditional(let branches, let otherwise):
            for branch in branches where try eval(branch.test, scope).isTruthy {
                return try exec(branch.body, scope, &out)
            }
            return try exec(otherwise, scope, &out)
        case .forLoop(let loop):
            try runLoop(loop, scope, &out, iterable: nil, depth0: 0)
        case .assign(let target, let e, let location):
            try execAssign(target, e, location, scope)
        case .assignBlock(let target, let filters, let body, let location):
            try execAssignBlock(target, filters, body, location, scope)
        case .macro(let definition):
            scope.set(definition.name, .macro(Macro(definition, closure: scope)))
        case .callBlock(let block):
            try execCallBlock(block, scope, &out)
        case .filterBlock(let filters, let body):
            try execFilterBlock(filters, body, scope, &out)
        case .with(let assignments, let body):
            let inner = Scope(parent: scope)
            for a in assignments { try assign(a.target, try eval(a.value, scope), inner) }
            return try exec(body, inner, &out)
        case .scope(let body):
            return try exec(body, Scope(parent: scope), &out)
        case .breakLoop:
            return .breakLoop
        case .continueLoop:
            return .continueLoop
        case .needsLoader(let tag, let location):
            throw TemplateError(.type, "no loader for this environment specified ('\(tag)' needs one)", at: location)
        }
        return .normal
    }

    @inline(never)
    private func execOutput(_ e: Expr, _ location: SourceLocation, _ scope: Scope, _ out: inout String) throws {
        do { try emit(try eval(e, scope).str(), into: &out) } catch let error as TemplateError { throw error.located(location) }
    }

    @inline(never)
    private func execAssign(_ target: AssignTarget, _ e: Expr, _ location: SourceLocation, _ scope: Scope) throws {
        do {
            let value = try eval(e, scope)
            try assign(target, value, scope, fresh: !e.isLookup || value.isMethod)
        } catch let error as TemplateError {
            throw error.located(location)
        }
    }

    @inline(never)
    private func execAssignBlock(_ target: AssignTarget, _ filters: [FilterCall], _ body: [Node],
                                 _ location: SourceLocation, _ scope: Scope) throws {
        do {
            var value = Value.string(try capture(body, Scope(parent: scope)))
            for f in filters { value = try applyFilter(f, to: value, scope) }
            try assign(target, value, scope)
        } catch let error as TemplateError { throw error.located(location) }
    }

    @inline(never)
    private func execCallBlock(_ block: CallBlock, _ scope: Scope, _ out: inout String) throws {
        let caller = Macro(block.caller, closure: scope)
        guard case .call(let callee, let args, let location) = block.call else { return }
        do {
            let result = try call(callee, args, scope, extraKeyword: ("caller", .macro(caller)))
            try emit(try result.str(), into: &out)
        } catch let error as TemplateError { throw error.located(location) }
    }

    @inline(never)
    private func execFilterBlock(_ filters: [FilterCall], _ body: [Node], _ scope: Scope, _ out: inout String) throws {
        var value = Value.string(try capture(body, Scope(parent: scope)))
        for f in filters { value = try applyFilter(f, to: value, scope) }
        try emit(try value.str(), into: &out)
    }

    /// Renders `body` into a string of its own (block `set`, `{% filter %}`, macro bodies).
    func capture(_ body: [Node], _ scope: Scope) throws -> String {
        var buffer = ""
        _ = try exec(body, scope, &buffer)
        return buffer
    }

    /// Binds a value to a `set`/`for`/`with` target in `scope`. A `fresh`
    /// value (one an expression built, not looked up) is checked for
    /// nesting first (see Renderer+Nesting).
    func assign(_ target: AssignTarget, _ value: Value, _ scope: Scope, fresh: Bool = true) throws {
        switch target {
        case .name(let n):
            if fresh { try checkNesting(value) }
            scope.set(n, value)
        case .tuple(let targets):
            let items = try iterate(value)
            guard items.count == targets.count else {
                throw TemplateError(.value, items.count < targets.count
                    ? "not enough values to unpack (expected \(targets.count), got \(items.count))"
                    : "too many values to unpack (expected \(targets.count))")
            }
            for (t, v) in zip(targets, items) { try assign(t, v, scope, fresh: fresh) }
        case .namespaceAttribute(let name, let attribute):
            guard case .namespace(let ns) = lookup(name, scope) else {
                throw TemplateError(.type, "cannot assign attribute on non-namespace object")
            }
            if fresh { try checkNesting(value) }
            ns.set(attribute, value)
        }
    }

    // MARK: - Loops

    /// Runs a `for` block over its iterable (or, for `loop(items)` in a
    /// recursive loop, over `iterable` one level deeper).
    func runLoop(_ loop: ForLoop, _ scope: Scope, _ out: inout String, iterable: Value?, depth0: Int) throws {
        let source = try iterable ?? eval(loop.iterable, scope)
        let items = try iterate(source)
        // Items of a list or dict looked up in what is kept need no nesting
        // check; an iterator's may be built as it yields them (`map`).
        var fresh = iterable != nil || !loop.iterable.isLookup
        if case .iterator = source { fresh = true }
        var accept: ((Value) throws -> Bool)? = nil
        if let filter = loop.filter {
            accept = { [unowned self] item in
                let test = Scope(parent: scope)
                try self.assign(loop.target, item, test, fresh: fresh)
                return try self.eval(filter, test).isTruthy
            }
        }
        let state = LoopState(items: items, accept: accept, depth0: depth0, recursion: loop.recursive ? (loop, scope) : nil)
        // jinja2 clears its "no iteration" flag at the end of the body, so
        // `else` also runs when no iteration got there: each one `continue`d,
        // or the first `break`s (jinja2's compiled for-loop; loopcontrols
        // compile to Python's own break and continue).
        var finishedABody = false
        while let item = try state.advance() {
            try countIteration()
            let inner = Scope(parent: scope)
            try assign(loop.target, item, inner, fresh: fresh)
            inner.set("loop", .loop(state))
            let flow = try exec(loop.body, inner, &out)
            if case .breakLoop = flow { break }
            if case .normal = flow { finishedABody = true }
        }
        if !finishedABody { _ = try exec(loop.otherwise, Scope(parent: scope), &out) }
    }

    /// The items a `for` loop, `list` or unpacking sees: list and tuple
    /// items, dict keys, the code points of a string; nothing for Undefined.
    func iterate(_ value: Value) throws -> [Value] {
        switch value {
        case .list(let items), .tuple(let items): return items
        case .dict(let d): return d.keys
        case .string(let s):
            try chargeText(s.utf8.count)
            try reserve(bytes: s.utf8.count * 16)
            return s.unicodeScalars.map { .string(String($0)) }
        case .undefined: return []
        case .iterator(let it): return try it.rest()
        case .view(let v):
            try charge(v.dict.count)
            return v.elements
        default: throw TemplateError(.type, "'\(value.typeName)' object is not iterable")
        }
    }

    /// A variable: the innermost scope that has it, then the globals.
    func lookup(_ name: String, _ scope: Scope) -> Value {
        if let v = scope.lookup(name) { return v }
        if let b = Builtin.named(name) { return .builtin(b) }
        return .missing("'\(name)' is undefined")
    }
}
