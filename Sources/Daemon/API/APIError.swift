import Foundation
import HTTP1
import Llama
import LoRA
import OrderedJSON
import Registry
import Serving

/// The API's error vocabulary: every failure a handler meets becomes an
/// `HTTPError` whose body the server renders as
/// `{"error": {"message", "type", "code"}}` (see `APIErrorBody`).
///
/// Status mapping:
/// - 400 `invalid_request_error`: malformed JSON / parameters, bad adapter
///   names, malformed adapter config JSON, unreadable (e.g. truncated) safetensors.
/// - 401/403 `authentication_error` / `permission_error`.
/// - 404 `not_found_error`: unknown adapter or model.
/// - 409 `conflict_error`: the adapter name is taken (by an adapter, or it
///   is the base model's id).
/// - 413, 415: from the HTTP layer (body or part too large, not multipart).
/// - 422 `incompatible_adapter`: a well-formed adapter this base or this server
///   cannot serve (shapes, unknown or untargeted modules, rank mismatch,
///   `modules_to_save`, bias, embedding LoRA, non-finite values, a DoRA row
///   of norm zero, a DoRA adapter that cannot be live-merged exactly).
///   A DoRA adapter in a combination is a 400: the request asks for something undefined.
/// - 503 `overloaded` (+ `Retry-After`) or `unavailable` (loading, draining),
///   `registry_busy` (+ `Retry-After`: another process held the registry's
///   lock past the busy timeout; nothing was changed).
/// - 500 `internal_error`: a bug or a storage failure.
public enum APIError {
    /// The `type` and `Retry-After` of the 503 for a registry that stayed
    /// locked by another connection past its busy timeout.
    static let registryBusyType = "registry_busy"
    static let registryBusyRetrySeconds = 5

    public static func badRequest(_ message: String) -> HTTPError {
        HTTPError(.badRequest, message, type: "invalid_request_error")
    }

    public static func notFound(_ message: String) -> HTTPError {
        HTTPError(.notFound, message, type: "not_found_error")
    }

    public static func unavailable(_ message: String, retryAfter: Int = 1) -> HTTPError {
        HTTPError(.serviceUnavailable, message, headers: ["Retry-After": String(retryAfter)], type: "unavailable")
    }

    public static func internalError(_ message: String) -> HTTPError {
        HTTPError(.internalServerError, message, type: "internal_error")
    }

    /// Maps any error a handler meets to the response it deserves.
    public static func map(_ error: any Error) -> HTTPError {
        switch error {
        case let e as HTTPError:
            return e
        case let e as EngineError:
            return map(e)
        case let e as AdapterError:
            return map(e)
        case let e as RegistryError:
            return map(e)
        case let e as AdapterPathError:
            return e.httpError
        case let e as AdapterUnavailable:
            return HTTPError(.unprocessableContent, e.description, type: "incompatible_adapter")
        case let e as AdapterSpecError:
            return badRequest(e.description)
        case let e as AdapterNameIsBaseModel:
            return e.use == .storing ? HTTPError(.conflict, e.description, type: "conflict_error") : badRequest(e.description)
        case let e as GenerationFailure:
            if case .nonFiniteLogits = e { return HTTPError(.unprocessableContent, e.description, type: "incompatible_adapter") }
            return internalError(e.description)
        case let e as AdapterCacheOvercommitted:
            return HTTPError(.serviceUnavailable, e.description, headers: ["Retry-After": "1"], type: "adapter_cache_full")
        case let e as JSONAccessError:
            return badRequest(e.description)
        case let e as ChatPromptError:
            return badRequest(e.description)
        case let e as LlamaError:
            if case .nonFiniteMerge = e { return HTTPError(.unprocessableContent, e.description, type: "incompatible_adapter") }
            return internalError(e.description)
        case let e as MergeValueError:
            // A base the daemon serves was checked finite at load: NaN in it
            // now means the file changed on disk, not a bad request.
            if case .nonFiniteBase = e { return internalError(e.description) }
            return HTTPError(.unprocessableContent, e.description, type: "invalid_request_error")
        case let e as AdapterSourceError:
            if case .unknownAdapter(let name) = e { return notFound("no adapter named '\(name)'") }
            return internalError(e.description)
        case let e as HTTPConnectionError:
            // Nobody is listening any more; the status only reaches the log
            // and metrics (499, nginx's "client closed request").
            return HTTPError(HTTPStatus(499, "Client Closed Request"), e.description, type: "client_disconnected")
        default:
            return internalError(String(describing: error))
        }
    }

    /// `map(error)`, unless the exchange was cut by the server's own shutdown
    /// (`drain_timeout_s` ran out): whatever the handler then threw, that is
    /// a 503 of ours, not a client that closed (499).
    static func map(_ error: any Error, cutBy reason: HTTPConnectionError?) -> HTTPError {
        guard reason == .serverShutdown else { return map(error) }
        return HTTPError(.serviceUnavailable, "cut when the server shut down (drain_timeout_s ran out)", type: "server_shutdown")
    }

    static func map(_ error: EngineError) -> HTTPError {
        switch error {
        case let .overloaded(_, retry):
            return HTTPError(.serviceUnavailable, error.description, headers: ["Retry-After": String(retry)], type: "overloaded")
        case .shuttingDown:
            return unavailable(error.description)
        case .emptyPrompt, .promptTooLong, .invalidToken, .invalidParameter, .exceedsKVBudget, .tooManyAdapters:
            return badRequest(error.description)
        }
    }

    static func map(_ error: AdapterError) -> HTTPError {
        switch error {
        case .invalidConfigJSON, .missingField, .invalidField, .invalidRegex, .missingFile, .unreadableWeights:
            return HTTPError(.badRequest, "invalid adapter: \(error)", type: "invalid_request_error")
        case .doraCombination:
            return badRequest(error.description)
        default:
            return HTTPError(.unprocessableContent, "adapter incompatible with this server or base model: \(error)",
                             type: "incompatible_adapter")
        }
    }

    static func map(_ error: RegistryError) -> HTTPError {
        switch error {
        case .invalidName, .weightsSizeMismatch, .checksumMismatch, .invalidMetadata:
            return badRequest(error.description)
        case .alreadyExists:
            return HTTPError(.conflict, error.description, type: "conflict_error")
        case .notFound(let name):
            return notFound("no adapter named '\(name)'")
        case .weightsTooLarge:
            return HTTPError(.contentTooLarge, error.description, type: "invalid_request_error")
        case .full:
            // A condition of the server's disk, not a bug: 507 Insufficient
            // Storage (RFC 4918 §11.5), retryable once space is freed.
            return HTTPError(HTTPStatus(507, "Insufficient Storage"), error.description, type: "insufficient_storage")
        case .busy:
            // Another process holds the registry's lock (a second daemon on
            // the file, a backup): a retry can pass, a 500 would say "bug".
            return HTTPError(.serviceUnavailable, error.description, headers: ["Retry-After": String(registryBusyRetrySeconds)],
                             type: registryBusyType)
        default:
            return internalError(error.description)
        }
    }

    /// The server-wide renderer: every error body in the `APIErrorBody` shape.
    public static let renderer: HTTPErrorRenderer = { error in
        ("application/json", Array(APIErrorBody(error).json.utf8))
    }
}
