import FileReading
import Foundation
import Llama
import LoRA
import Registry
import Serving
import Tokenization

/// Everything a loaded daemon serves with: the base model (inside the
/// engine), the registry, the adapter cache, auth and limits. Handlers are
/// thin functions over it (`CompletionsHandler`, `AdaptersHandler`, …).
public final class LoadedModel: Sendable {
    /// The base model's id: its folder's name (`/v1/models`, `base_model_id`).
    public let modelID: String
    /// When the base model was loaded (OpenAI `created` of the base model).
    public let created: Int
    public let engine: Engine
    public let registry: AdapterRegistry
    public let compatibility: AdapterCompatibility
    public let auth: Auth
    public let logger: Logger
    /// Largest upload body accepted (`max_upload_mb`).
    public let maxUploadBytes: Int
    /// What all in-flight uploads may buffer together (`upload_buffer_mb`).
    public let uploadBudget: UploadBudget
    /// Merge downloads in progress (`max_merge_downloads`).
    public let mergeDownloads: ConcurrencyCap
    /// The base's linears and their (out, in) shapes (an upload's header check).
    public let baseShapes: [LinearID: LinearShape]
    /// The base's resident linears, for validating uploads (DoRA factors are
    /// computed against them, as the engine's loads compute them).
    public var base: LlamaWeights { engine.model.weights }
    /// Serialises live-merge changes with adapter deletes and replaces, so
    /// after any interleaving either the adapter's current version is what is
    /// merged or nothing of it is.
    let adapterChanges = AsyncSerialLock()
    /// The base's family and names, for refusing adapters trained on another family.
    public let baseIdentity: BaseModelIdentity
    /// Chat templates, tool-call format and turn-ending ids (`/v1/chat/completions`).
    public let chat: ChatSupport
    /// Adapters' own chat templates, parsed once per stored version.
    let adapterTemplates = AdapterChatTemplates()
    /// Where tests make a replace land inside a request's preparation.
    let seams = RequestSeams()
    /// `adapter_dirs`: the only folders adapters are read from.
    public let adapterDirectories: AdapterDirectories
    /// The Hugging Face hub cache hub ids are read from (`hf_hub_cache`), if any.
    public let hubCache: HubCacheLayout?
    /// The weight files the served model was loaded from, as they were then.
    public let modelFiles: [FileIdentity]
    /// The model folder's companion files (config.json, tokenizer files) as
    /// they were at load, which merge downloads serve beside the weights;
    /// nil when not taken (nothing is checked then).
    public let companionFiles: [String: FileIdentity]?
    /// Registry rows of adapters imported from `adapter_dirs`, written behind
    /// the request that imported them; nil without `adapter_dirs`.
    public let folderImports: FolderImportWrites?
    /// What a request that leaves a sampling field out gets
    /// (`generation_defaults`: the model's generation_config.json, or none).
    public let samplingDefaults: SamplingDefaults

    public var cache: AdapterCache { engine.adapters }
    public var tokenizer: Tokenizer { engine.tokenizer }

    public init(modelID: String, engine: Engine, registry: AdapterRegistry, compatibility: AdapterCompatibility,
                auth: Auth, logger: Logger, maxUploadBytes: Int, uploadBufferBytes: Int, maxMergeDownloads: Int,
                chat: ChatSupport = .none, adapterDirectories: AdapterDirectories = AdapterDirectories([]), hubCache: HubCacheLayout? = nil,
                folderImports: FolderImportWrites? = nil, modelFiles: [FileIdentity] = [],
                samplingDefaults: SamplingDefaults = .none, companionFiles: [String: FileIdentity]? = nil) {
        self.modelID = modelID
        self.created = Int(Date().timeIntervalSince1970)
        self.engine = engine
        self.registry = registry
        self.compatibility = compatibility
        self.auth = auth
        self.logger = logger
        self.maxUploadBytes = maxUploadBytes
        self.uploadBudget = UploadBudget(limitBytes: uploadBufferBytes)
        self.mergeDownloads = ConcurrencyCap(limit: maxMergeDownloads)
        self.baseShapes = engine.model.weights.linearShapes
        self.baseIdentity = engine.model.config.baseIdentity(names: [modelID])
        self.chat = chat
        self.adapterDirectories = adapterDirectories
        self.hubCache = hubCache
        self.modelFiles = modelFiles
        self.folderImports = folderImports
        self.samplingDefaults = samplingDefaults
        self.companionFiles = companionFiles
    }
}
