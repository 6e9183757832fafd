import AdapterNaming

extension AdapterRegistry {
    /// Checks an adapter name against `AdapterName`'s rule (a plain name of
    /// 1–64 characters from `A-Z a-z 0-9 . _ -`, the first a letter or
    /// digit, or a hub id `ORG/NAME` of up to 193).
    /// - Throws: `RegistryError.invalidName` saying which rule failed.
    public static func validateName(_ name: String) throws {
        if let rule = AdapterName.brokenRule(name) { throw RegistryError.invalidName(name, reason: rule) }
    }
}
