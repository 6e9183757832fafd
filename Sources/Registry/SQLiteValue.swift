import Foundation

/// A value bound to a statement parameter. Values are only ever bound — never
/// spliced into SQL text — so names and JSON from requests cannot inject SQL.
enum SQLiteValue: Sendable, Equatable {
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob(Data)
    /// `n` zero bytes, allocated by SQLite without a buffer on our side
    /// (`sqlite3_bind_zeroblob64`); filled afterwards with incremental blob I/O.
    case zeroBlob(Int64)
    case null
}

extension SQLiteValue {
    /// `.text` or `.null`.
    static func optionalText(_ s: String?) -> SQLiteValue { s.map(SQLiteValue.text) ?? .null }
    /// `.real` or `.null`.
    static func optionalReal(_ d: Double?) -> SQLiteValue { d.map(SQLiteValue.real) ?? .null }
}
