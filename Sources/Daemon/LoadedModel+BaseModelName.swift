extension LoadedModel {
    /// The status `GET /adapters` shows for an adapter named like the base
    /// (never served, whatever validation would say); nil for other names.
    func baseNameStatus(_ name: String) -> AdapterCompatibility.Status? {
        name == modelID ? .incompatible(AdapterNameIsBaseModel.notServed(name)) : nil
    }
}
