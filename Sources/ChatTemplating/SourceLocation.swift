/// A 1-based line and column in the template source (columns count code points).
struct SourceLocation: Sendable, Equatable {
    var line: Int
    var column: Int

    static let unknown = SourceLocation(line: 0, column: 0)
}
