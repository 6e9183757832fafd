/// State of one `Renderer.checkNesting` walk: the height of each list
/// already walked, by its storage (every list reachable from the value
/// being checked stays alive during the walk, so an address is one list),
/// and the visits not yet charged as steps.
struct NestingWalk {
    var heights: [UnsafeRawPointer: Int] = [:]
    var unchargedVisits = 0
}
