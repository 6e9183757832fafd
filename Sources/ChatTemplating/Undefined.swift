/// jinja2's default `Undefined`: what a missing variable, attribute or item
/// evaluates to. It prints as "", is false, iterates as empty and has length
/// 0; arithmetic, comparison, attribute or item access and calls on it raise
/// `UndefinedError` with `hint` (`jinja2.runtime.Undefined`).
struct Undefined: Sendable {
    /// The message of the error raised when the value is used, e.g. "'x' is undefined".
    let hint: String
    /// True when it stands for an attribute the sandbox refuses
    /// (`ImmutableSandboxedEnvironment.unsafe_undefined`): using it raises a
    /// security error instead of `UndefinedError`.
    var unsafe: Bool = false

    /// The error raised when the value is used.
    var error: TemplateError {
        TemplateError(unsafe ? .security : .undefined, hint)
    }
}
