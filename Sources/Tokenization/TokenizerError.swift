import Foundation

/// Why a tokenizer could not be loaded. Every case names the file, key or
/// component at fault so a bad model folder is diagnosable from the message.
public enum TokenizerError: Error, CustomStringConvertible, Equatable {
    /// A file could not be read (missing folder, permissions).
    case unreadableFile(path: String, reason: String)
    /// The bytes are not JSON (or not the expected top-level shape).
    case invalidJSON(file: String, reason: String)
    /// A required key is missing or has the wrong JSON type.
    case invalidField(path: String, expected: String)
    /// A component (`normalizer`, `pre_tokenizer`, `model`, `decoder`,
    /// `post_processor`) has a `type` this implementation does not handle.
    case unsupportedComponent(component: String, type: String)
    /// A Split/Replace pattern that has no hand-written scanner here.
    case unsupportedPattern(component: String, pattern: String)
    /// A BPE merge names a token that is not in the vocabulary
    /// (tokenizers: `MergeTokenOutOfVocabulary`).
    case mergeTokenNotInVocabulary(rank: Int, token: String)
    /// A BPE merge string is not exactly two space-separated tokens
    /// (tokenizers: `BadMerges`).
    case malformedMerge(rank: Int, merge: String)
    /// A token referenced by the configuration (unk_token, a template's
    /// special token, bos/eos) has no id.
    case unknownToken(role: String, token: String)

    public var description: String {
        switch self {
        case let .unreadableFile(path, reason):
            return "cannot read \(path): \(reason)"
        case let .invalidJSON(file, reason):
            return "\(file) is not valid JSON: \(reason)"
        case let .invalidField(path, expected):
            return "tokenizer field `\(path)`: expected \(expected)"
        case let .unsupportedComponent(component, type):
            return "unsupported \(component) type \"\(type)\""
        case let .unsupportedPattern(component, pattern):
            return "unsupported \(component) pattern \(pattern.debugDescription) (no hand-written scanner for it)"
        case let .mergeTokenNotInVocabulary(rank, token):
            return "BPE merge #\(rank) references token \(token.debugDescription), which is not in the vocabulary"
        case let .malformedMerge(rank, merge):
            return "BPE merge #\(rank) \(merge.debugDescription) is not two space-separated tokens"
        case let .unknownToken(role, token):
            return "\(role) \(token.debugDescription) is not in the vocabulary"
        }
    }
}
