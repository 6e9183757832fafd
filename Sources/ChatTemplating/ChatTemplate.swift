import OrderedJSON

/// A Hugging Face chat template, parsed once and rendered many times with
/// the semantics transformers gives it: jinja2's `ImmutableSandboxedEnvironment`
/// with `trim_blocks`, `lstrip_blocks`, the `loopcontrols` extension and
/// `{% generation %}`, default `Undefined`, `tojson` as
/// `json.dumps(ensure_ascii=False)`, and the globals `raise_exception`,
/// `strftime_now`, `range`, `dict`, `namespace`
/// (`transformers.utils.chat_template_utils.render_jinja_template`).
///
/// The value is immutable and `Sendable`: one parsed template serves
/// concurrent renders. Rendering is sandboxed (no file, environment or
/// network access exists in the language) and bounded by `TemplateLimits`.
public struct ChatTemplate: Sendable {
    /// The template text as given.
    public let source: String
    private let body: [Node]
    /// Every variable name the template reads anywhere (e.g. `messages`,
    /// `tools`, `bos_token`, a kwarg such as `enable_thinking`), including
    /// names it only reads after defining them itself.
    public let referencedVariables: Set<String>

    /// Parses `source`.
    /// - Throws: `TemplateError` of kind `.syntax` (with line and column), or
    ///   `.limit(.parseDepth)` for nesting beyond `limits.maxParseDepth`,
    ///   `.limit(.treeDepth)` for an expression taller than `limits.maxTreeDepth`.
    public init(source: String, limits: TemplateLimits = TemplateLimits()) throws(TemplateError) {
        self.source = source
        var lexer = Lexer(source: source)
        var parser = Parser(tokens: try lexer.tokenize(), limits: limits)
        body = try parser.parseTemplate()
        try FilterNameCheck().check(body)
        var names = NameCollector()
        try names.visit(body)
        referencedVariables = names.loaded
        iteratesContentParts = names.loopsOverContent
        undefinedAtStart = try RootFrameStores.undefinedAtStart(body)
    }

    /// Names the top level sets before reading them: undefined until set,
    /// over the context's value (`RootFrameStores`, jinja2's frame rule).
    let undefinedAtStart: Set<String>

    /// Whether the template loops over a message's content (`for block in
    /// message['content']`): it takes content as a list of parts, where
    /// other templates take one string. vLLM's content-format detection
    /// ("openai" against "string") asks the same of a template's syntax tree.
    public let iteratesContentParts: Bool

    /// Whether the template reads the `tools` variable (a template that
    /// never does cannot show tool definitions to the model).
    public var readsTools: Bool { referencedVariables.contains("tools") }

    /// Renders with `variables` as the template's context, in order (as
    /// transformers passes `messages`, `tools`, `documents`,
    /// `add_generation_prompt`, the special tokens that are set, and any
    /// extra keyword arguments). A variable that is not passed is undefined
    /// in the template. `date` is what `strftime_now` formats.
    /// - Throws: `TemplateError`: `.raised` with exactly the template's
    ///   message for `raise_exception(msg)`; `.undefined`, `.type`, `.value`,
    ///   `.security` for jinja2's runtime errors; `.limit` when a bound of
    ///   `limits` is reached.
    public func render(_ variables: JSONValue.Members, date: TemplateDate,
                       limits: TemplateLimits = TemplateLimits()) throws(TemplateError) -> String {
        let renderer = Renderer(limits: limits, date: date)
        let root = Scope(parent: nil)
        for (name, value) in variables { root.set(name, Value(json: value)) }
        for name in undefinedAtStart { root.set(name, .missing("'\(name)' is undefined")) }
        do {
            var out = ""
            _ = try renderer.exec(body, root, &out)
            return out
        } catch let error as TemplateError {
            throw error
        } catch {
            throw TemplateError(.value, "\(error)")
        }
    }
}

extension ChatTemplate {
    /// Renders a chat input (see `ChatTemplateInput.variables`).
    public func render(_ input: ChatTemplateInput, date: TemplateDate,
                       limits: TemplateLimits = TemplateLimits()) throws(TemplateError) -> String {
        try render(input.variables, date: date, limits: limits)
    }
}
