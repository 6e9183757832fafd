import HTTP1

extension HTTPRequest {
    /// The adapter a `/adapters/NAME…` path names: `:name`, or `:org/:name`
    /// joined for a hub id given as two path segments
    /// (`/adapters/ORG/NAME`). A hub id sent as one segment with its slash
    /// percent-encoded (`/adapters/ORG%2FNAME`) arrives whole in `:name`,
    /// since segments are decoded after the path is split (RFC 3986 §2.2:
    /// an encoded `/` is data, not a delimiter).
    var adapterNameParameter: String {
        let name = parameter("name") ?? ""
        guard let organization = parameter("org") else { return name }
        return organization + "/" + name
    }
}
