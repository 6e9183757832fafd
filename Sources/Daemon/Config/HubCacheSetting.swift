import Foundation

/// `hf_hub_cache`: where adapters named by a Hugging Face hub id `ORG/NAME`
/// are looked up in the layout `hf download` writes (`HubCacheLayout`).
public enum HubCacheSetting: Equatable, Sendable {
    /// huggingface_hub's own default (its `constants.py`): `$HF_HUB_CACHE`,
    /// else `$HUGGINGFACE_HUB_CACHE` (its older name), else `$HF_HOME/hub`,
    /// else `$XDG_CACHE_HOME/huggingface/hub`, else `~/.cache/huggingface/hub`.
    case auto
    /// No hub cache: hub ids resolve from the registry and `adapter_dirs` only.
    case off
    /// This folder (an absolute path).
    case path(String)

    /// The file's spelling (`auto`, `off`, or the path); nil when `text` is
    /// none of them (a relative path is refused: the unit's working
    /// directory is not where a user's cache lives).
    public init?(spelling text: String) {
        switch text {
        case "auto": self = .auto
        case "off": self = .off
        default:
            guard text.hasPrefix("/") else { return nil }
            self = .path(text)
        }
    }

    public var spelling: String {
        switch self {
        case .auto: return "auto"
        case .off: return "off"
        case .path(let path): return path
        }
    }

    /// The cache folder for a process with `environment` (nil when off, or
    /// when `auto` finds neither a variable nor a home directory). The
    /// folder need not exist yet: `hf download` may create it later.
    public func root(environment: [String: String]) -> String? {
        func nonEmpty(_ key: String) -> String? {
            guard let value = environment[key], !value.isEmpty else { return nil }
            return value
        }
        switch self {
        case .off: return nil
        case .path(let path): return path
        case .auto:
            if let cache = nonEmpty("HF_HUB_CACHE") ?? nonEmpty("HUGGINGFACE_HUB_CACHE") { return cache }
            if let home = nonEmpty("HF_HOME") { return (home as NSString).appendingPathComponent("hub") }
            if let xdg = nonEmpty("XDG_CACHE_HOME") { return (xdg as NSString).appendingPathComponent("huggingface/hub") }
            if let home = nonEmpty("HOME") { return (home as NSString).appendingPathComponent(".cache/huggingface/hub") }
            return nil
        }
    }
}
