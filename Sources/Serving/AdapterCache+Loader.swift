import LoRA

extension AdapterCache {
    /// The loader every cache in lorad uses: PEFT's two files validated
    /// against the base model's linears and, when given, its identity (the
    /// same checks as an upload) and converted to F32; DoRA factors computed
    /// against the base's W0, or taken from the payload's stored factors
    /// where those fit.
    public static func validatingLoader(base: some BaseLinears, identity: BaseModelIdentity? = nil) -> Loader {
        { payload in
            try AdapterLoader.load(name: payload.name, configJSON: payload.configJSON, safetensors: payload.weights,
                                   base: base, identity: identity, storedFactors: payload.doraFactors).adapter
        }
    }
}
