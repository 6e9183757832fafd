import Foundation

/// Typed, error-naming access to a JSONSerialization dictionary. JSON `null`
/// reads as absent, which is how transformers treats it (`head_dim: null`).
struct JSONKeys {
    let dict: [String: Any]
    let prefix: String

    init(_ dict: [String: Any], prefix: String = "") {
        self.dict = dict
        self.prefix = prefix
    }

    private func value(_ key: String) -> Any? {
        guard let v = dict[key], !(v is NSNull) else { return nil }
        return v
    }

    func raw(_ key: String) -> String? { value(key).map { "\($0)" } }

    /// Whether `key` is present with an explicit JSON null (absent is not null:
    /// config classes tell "use the default" from "derive it" this way).
    func isNull(_ key: String) -> Bool { dict[key] is NSNull }

    private func wrong(_ key: String, _ expected: String) -> LlamaError {
        .invalidValue(key: prefix + key, reason: "must be \(expected), got \(raw(key) ?? "null")")
    }

    func string(_ key: String) throws -> String? {
        guard let v = value(key) else { return nil }
        guard let s = v as? String else { throw wrong(key, "a string") }
        return s
    }

    func bool(_ key: String) throws -> Bool? {
        guard let v = value(key) else { return nil }
        // NSNumber bridges 0/1 to Bool too; require a real JSON boolean.
        guard let b = v as? Bool, Self.isBoolean(v) else { throw wrong(key, "true or false") }
        return b
    }

    func int(_ key: String) throws -> Int? {
        guard let v = value(key) else { return nil }
        guard !Self.isBoolean(v), let d = v as? Double, d == d.rounded(), abs(d) < 1e15 else {
            throw wrong(key, "an integer")
        }
        return Int(d)
    }

    func requiredInt(_ key: String) throws -> Int {
        guard let v = try int(key) else { throw LlamaError.missingKey(prefix + key) }
        return v
    }

    func double(_ key: String) throws -> Double? {
        guard let v = value(key) else { return nil }
        guard !Self.isBoolean(v), let d = v as? Double, d.isFinite else { throw wrong(key, "a number") }
        return d
    }

    func object(_ key: String) throws -> [String: Any]? {
        guard let v = value(key) else { return nil }
        guard let o = v as? [String: Any] else { throw wrong(key, "an object") }
        return o
    }

    func stringList(_ key: String) throws -> [String]? {
        guard let v = value(key) else { return nil }
        guard let list = v as? [Any], let strings = list as? [String] else { throw wrong(key, "a list of strings") }
        return strings
    }

    /// An integer or a list of integers (`eos_token_id: 2` or `[128001, 128009]`).
    func intOrList(_ key: String) throws -> [Int]? {
        guard let v = value(key) else { return nil }
        if let list = v as? [Any] {
            return try list.map { item in
                guard !Self.isBoolean(item), let d = item as? Double, d == d.rounded(), abs(d) < 1e15 else {
                    throw wrong(key, "an integer or a list of integers")
                }
                return Int(d)
            }
        }
        guard let i = try? int(key) else { throw wrong(key, "an integer or a list of integers") }
        return [i]
    }

    /// JSONSerialization yields NSNumber for both numbers and booleans; on
    /// Linux the boolean ones are exactly `true as NSNumber` / `false as NSNumber`'s type.
    static func isBoolean(_ v: Any) -> Bool {
        type(of: v) == type(of: true as AnyObject)
    }
}
