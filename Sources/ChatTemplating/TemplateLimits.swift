/// Bounds on parsing and rendering one template, so that an untrusted
/// template (uploaded with an adapter) can neither hang nor exhaust the
/// daemon: each is checked as the work happens and reaching one stops with
/// a `TemplateError` of kind `.limit(which)`.
///
/// The defaults leave room for any real chat template and prompt (a
/// 128k-token prompt is about 0.5 MB; the templates in use nest a few
/// levels and recurse a few times) while stopping a hostile one within a
/// fraction of a second.
public struct TemplateLimits: Sendable, Equatable {
    public enum Limit: Sendable, Equatable {
        case outputBytes, allocatedBytes, loopIterations, callDepth, evaluationDepth, steps, parseDepth, treeDepth, rangeLength, valueNesting
    }

    /// Largest rendered output, and largest single string a template may
    /// build (`'x' * 10**9` stops here before allocating). Default 16 MiB.
    public var maxOutputBytes: Int
    /// Total bytes of strings and list/dict slots a render may create (a
    /// memory budget: a loop cannot build thousands of large strings).
    /// Default 256 MiB.
    public var maxAllocatedBytes: Int
    /// Total `for` iterations in one render, over all loops. Default 1,000,000.
    public var maxLoopIterations: Int
    /// Deepest nesting of macro calls and recursive `loop()` calls (Python's
    /// own recursion limit stops jinja2 at about 150). Default 100.
    public var maxCallDepth: Int
    /// Deepest nesting of the evaluator itself (statements and expressions
    /// inside macro calls inside …); a stack guard. Default 2,000.
    public var maxEvaluationDepth: Int
    /// Evaluation steps: one per statement and expression node, plus one per
    /// element or per 64 bytes a filter or method works through. Default 20,000,000.
    public var maxSteps: Int
    /// Deepest nesting of blocks and expressions the parser accepts (jinja2
    /// itself fails at 60–100 levels). Default 100.
    public var maxParseDepth: Int
    /// Tallest expression tree the parser builds: the nesting around it plus
    /// one level per node, so each link of a chain (`a.b.c`, `a + b + c`,
    /// `x|f|g`, `a and b and c`, `f()()`) counts as a level. Checking,
    /// rendering and freeing a tree recurse once per level, so without this
    /// a flat 100 KB chain overflows the stack. jinja2 itself fails beyond
    /// about 490 links (Python's recursion limit while compiling; 197 for
    /// `.attr`, 99 for calls). Default 1,000.
    public var maxTreeDepth: Int
    /// Longest `range()`; jinja2's sandbox refuses more than 100,000 (`MAX_RANGE`).
    public var maxRangeLength: Int

    public init(maxOutputBytes: Int = 16 << 20, maxAllocatedBytes: Int = 256 << 20, maxLoopIterations: Int = 1_000_000,
                maxCallDepth: Int = 100, maxEvaluationDepth: Int = 2_000, maxSteps: Int = 20_000_000,
                maxParseDepth: Int = 100, maxTreeDepth: Int = 1_000, maxRangeLength: Int = 100_000) {
        self.maxOutputBytes = maxOutputBytes
        self.maxAllocatedBytes = maxAllocatedBytes
        self.maxLoopIterations = maxLoopIterations
        self.maxCallDepth = maxCallDepth
        self.maxEvaluationDepth = maxEvaluationDepth
        self.maxSteps = maxSteps
        self.maxParseDepth = maxParseDepth
        self.maxTreeDepth = maxTreeDepth
        self.maxRangeLength = maxRangeLength
    }
}
