/// The page size a model's weights are asked to live on (`WeightArena`).
public enum WeightPages: String, Sendable {
    /// Transparent 2 MiB pages where the kernel grants them (the default).
    case huge
    /// Ordinary 4 KiB pages (for `lorad-bench` to compare the two).
    case small
}
