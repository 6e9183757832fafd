extension AdapterRegistry {
    /// Longest adapter name (issue 6: `[A-Za-z0-9._-]{1,64}`).
    public static let maxNameLength = 64

    /// Checks an adapter name against `[A-Za-z0-9._-]{1,64}`, and refuses
    /// "." and ".." — the pattern allows them, but names end up in URLs
    /// (`/adapters/NAME`) and file names (`lorad merge`), where they mean
    /// "here" and "parent".
    /// - Throws: `RegistryError.invalidName` saying which rule failed.
    public static func validateName(_ name: String) throws {
        let scalars = name.unicodeScalars
        guard !scalars.isEmpty else {
            throw RegistryError.invalidName(name, reason: "a name must not be empty")
        }
        if let bad = scalars.first(where: { !isNameScalar($0) }) {
            let shown = bad.properties.generalCategory == .control || bad == " "
                ? "" : " '\(bad)'"
            throw RegistryError.invalidName(
                name, reason: "character\(shown) U+\(String(bad.value, radix: 16, uppercase: true).leftPadded(4)) "
                    + "is not allowed; use only A-Z a-z 0-9 . _ -")
        }
        guard scalars.count <= maxNameLength else {
            throw RegistryError.invalidName(name, reason: "\(scalars.count) characters, at most \(maxNameLength) allowed")
        }
        guard name != ".", name != ".." else {
            throw RegistryError.invalidName(name, reason: "'.' and '..' are reserved path components")
        }
    }

    private static func isNameScalar(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x41...0x5A, 0x61...0x7A, 0x30...0x39: return true  // A-Z a-z 0-9
        case 0x2E, 0x5F, 0x2D: return true                       // . _ -
        default: return false
        }
    }
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
