import LoRA

extension LlamaConfig {
    /// This model's identity for adapter validation: its family, the names
    /// it goes by (`names`, e.g. its folder, plus config.json `_name_or_path`)
    /// and every family's name fragments (`ModelFamily.nameHints`).
    public func baseIdentity(names: [String]) -> BaseModelIdentity {
        BaseModelIdentity(modelType: modelType, names: names + (nameOrPath.map { [$0] } ?? []),
                          familyHints: ModelFamily.all.map { .init(modelType: $0.modelType, fragments: $0.nameHints) })
    }
}
