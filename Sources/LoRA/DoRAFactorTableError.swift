/// Why stored DoRA factors could not be decoded (`DoRAFactorTable`). Never
/// a request's error: the loader computes the factors instead.
public enum DoRAFactorTableError: Error, Equatable, CustomStringConvertible {
    /// A module-list line is not `modulePath rows` with a known module and a positive count.
    case malformedModuleLine(index: Int, line: String)
    case duplicateModule(String)
    /// The values' byte count disagrees with the module list's rows × 4.
    case sizeMismatch(bytes: Int, expected: Int)

    public var description: String {
        switch self {
        case let .malformedModuleLine(index, line):
            return "stored DoRA factors: module line \(index) '\(line)' is not 'module.path rows'"
        case .duplicateModule(let module):
            return "stored DoRA factors: module \(module) is listed twice"
        case let .sizeMismatch(bytes, expected):
            return "stored DoRA factors: \(bytes) bytes of values, the module list needs \(expected)"
        }
    }
}
