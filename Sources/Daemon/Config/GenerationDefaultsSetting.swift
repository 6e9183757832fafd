/// The `generation_defaults` setting: whether a request that leaves a
/// sampling field out gets the model's generation_config.json value
/// (`model`, vLLM's `--generation-config auto`, its default) or lorad's own
/// (`none`, vLLM's `--generation-config vllm`: temperature 1, no top-p,
/// top-k or min-p, no repetition penalty, 16 tokens for a completion).
public enum GenerationDefaultsSetting: String, CaseIterable, Sendable {
    case model, none
}
