import HTTP1
import OrderedJSON

extension HTTPRequest {
    /// The body as strictly parsed JSON (RFC 8259; duplicate keys, NaN and
    /// nesting beyond 64 levels refused): a 400 naming the byte offset or the
    /// repeated key otherwise. Fields are then read through `JSONNode`, whose
    /// `JSONAccessError` the API maps to a 400 naming the field.
    func jsonBody() async throws -> JSONNode {
        let data = try await bodyData()
        do {
            return JSONNode(try JSONValue.parse(data, options: .strict))
        } catch {
            if let key = error.duplicateKey {
                throw APIError.badRequest("invalid JSON body: the key `\(key)` appears twice in one object (byte \(error.offset))")
            }
            throw APIError.badRequest("invalid JSON body: \(error)")
        }
    }
}
