import Foundation
import HTTP1

extension LoradServer {
    /// Merge download (`MergeHandler`) and live merge (`LiveMergeHandler`) routes.
    func registerMergeRoutes() {
        let folder = URL(fileURLWithPath: configuration.model).standardizedFileURL
        for pattern in Self.adapterPaths("/merge") {
            route(.POST, pattern) { service, request, response in
                let spec = try await MergeHandler(service: service, modelFolder: folder).download(request, response)
                return AccessInfo(status: 200, adapter: spec)
            }
        }
        for pattern in Self.adapterPaths("/merge/:file") {
            route(.GET, pattern) { service, request, response in
                try await MergeHandler(service: service, modelFolder: folder).companion(request, response)
                return AccessInfo(status: 200, adapter: request.adapterNameParameter)
            }
        }
        route(.GET, "/merged") { service, request, response in
            try await LiveMergeHandler(service: service).get(request, response)
            return AccessInfo(status: 200)
        }
        route(.PUT, "/merged") { service, request, response in
            let spec = try await LiveMergeHandler(service: service).put(request, response)
            return AccessInfo(status: 200, adapter: spec)
        }
        route(.DELETE, "/merged") { service, request, response in
            try await LiveMergeHandler(service: service).delete(request, response)
            return AccessInfo(status: 200)
        }
    }
}
