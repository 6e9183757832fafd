/// Errors a test's weights source throws on purpose.
struct InjectedFailure: Error, Equatable {
    let atChunk: Int
}
