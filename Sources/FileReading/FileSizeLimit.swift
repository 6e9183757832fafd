/// The most bytes lorad reads from one kind of file, so that a file swapped
/// for something huge is refused by name instead of filling memory.
///
/// Each bound leaves room for every real file of its kind: the largest
/// tokenizer.json in use is ~35 MB (Gemma 3's 262k-entry vocabulary), a
/// config.json or an index a few hundred KB; chat templates are bounded as
/// uploaded ones are (`AdapterUploadHandler.maxChatTemplateBytes`).
public struct FileSizeLimit: Sendable, Equatable {
    public let bytes: Int
    /// What kind of file it bounds, for the refusal: "larger than the … bytes
    /// allowed for `kind`".
    public let kind: String

    public init(bytes: Int, kind: String) {
        self.bytes = min(max(0, bytes), Int.max - 1)  // a reader asks for one byte more
        self.kind = kind
    }

    /// config.json, generation_config.json, tokenizer.json,
    /// tokenizer_config.json, special_tokens_map.json,
    /// model.safetensors.index.json, tokenizer.model: 64 MiB.
    public static let modelFile = FileSizeLimit(bytes: 64 << 20, kind: "a model folder's configuration or tokenizer file")
    /// A Jinja chat template (`chat_template.jinja`, `chat_template = FILE`): 1 MiB.
    public static let chatTemplate = FileSizeLimit(bytes: 1 << 20, kind: "a chat template")
    /// `adapter_config.json` (as for uploads): 1 MiB.
    public static let adapterConfig = FileSizeLimit(bytes: 1 << 20, kind: "an adapter_config.json")
    /// lorad's own configuration file: 1 MiB.
    public static let configurationFile = FileSizeLimit(bytes: 1 << 20, kind: "a configuration file")
    /// A bearer token file: 64 KiB (a token is tens of bytes; a JWT a few KB).
    public static let tokenFile = FileSizeLimit(bytes: 64 << 10, kind: "a token file")
    /// One conversation for `lorad template render --context`: 16 MiB, the
    /// largest output a template may render (`TemplateLimits.maxOutputBytes`).
    public static let templateContext = FileSizeLimit(bytes: 16 << 20, kind: "a template context")
}
