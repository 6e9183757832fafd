/// The file's `user_version` is newer than any migration this build knows
/// (an older lorad opening a newer registry) or negative (not ours). Refused
/// rather than guessed at.
struct SchemaTooNewError: Error, Sendable {
    let found: Int64
    let supported: Int64
}
