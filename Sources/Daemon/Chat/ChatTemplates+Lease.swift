import Serving

/// A chat completion's template and weights, of one stored version.
///
/// An adapter's own template is read from the registry by name (whatever
/// version is stored at that moment); its weights are leased from the
/// adapter cache, which a replace invalidates only after committing the new
/// version. A replace landing between the two paired one version's template
/// with the other's weights: a pair never stored. So the lease tells the
/// version its copy was loaded from (`AdapterLease.version(of:)`, the
/// registry's generation), and the template read just before the lease must
/// carry that generation. When it does not, a replace slipped in between
/// and both are taken again:
///
/// - the template older than the copy: the replace committed and invalidated
///   between the two reads; read again, the template is the copy's;
/// - the template newer (or the row gone): the replace (or delete) committed
///   and its `invalidate`, which follows the commit only once its task runs
///   again, has not come yet; every lease in that gap — milliseconds on a
///   busy core, long enough for all the attempts — gets the stale copy. The
///   registry says for sure that the copy is stale, so it is dropped here
///   (`AdapterCache.invalidate(_:ifOlderThan:)`) and the next lease loads
///   what is stored.
///
/// A mismatch then recurs only when yet another replace lands in between,
/// so a few attempts end it; past them the request is refused with 503
/// (retry) rather than answered from a mixed pair.
///
/// A lease without a version holds an adapter imported from `adapter_dirs`
/// or the hub cache whose copy came from the folder (its row not written
/// yet, or written behind it): a folder carries no chat template, so that
/// version renders with the model's, whatever row the registry holds by then.
extension ChatTemplates {
    /// Reads of (template, lease) before a chat gives up on matching them.
    static let versionAttempts = 4

    /// The templates a chat request renders with and, when it names one
    /// adapter, the lease its sequences must share (`InferenceContext.submit`):
    /// both of one stored version. A combination renders with the model's
    /// template, whatever versions its adapters are, so it leases nothing here.
    /// - Throws: 400 when neither the adapter's version nor the model has a
    ///   template; `AdapterSourceError.unknownAdapter` and the cache's errors;
    ///   503 when a replace slipped in on every attempt.
    func resolve(for choice: AdapterChoice) async throws -> (templates: ChatTemplateSet, lease: AdapterLease?) {
        guard let name = choice.singleAdapterName else { return (try modelTemplates(), nil) }
        let registry = service.registry, adapters = service.cache, seams = service.seams, spec = choice.spec
        let attempts = Self.versionAttempts
        let (stored, lease) = try await BlockingWork.compute { () throws -> ((generation: Int64, template: String?)?, AdapterLease) in
            for _ in 0..<attempts {
                let stored = try registry.chatTemplate(named: name)
                seams.reach(.chatTemplateRead)
                let lease = try adapters.lease(spec)
                guard let version = lease.version(of: name) else { return (nil, lease) }
                if version == stored?.generation { return (stored, lease) }
                adapters.invalidate(name, ifOlderThan: stored?.generation)
            }
            throw APIError.unavailable("adapter '\(name)' was replaced between reading its chat template and loading "
                + "its weights, \(attempts) times in a row; retry")
        }
        return (try stored.map { try templates(of: name, stored: $0) } ?? modelTemplates(), lease)
    }
}
