import HTTP1
import Synchronization

/// The bytes all in-flight adapter uploads (and `load_lora_adapter` folder
/// reads, which buffer the same files) may buffer together (`upload_buffer_mb`). An upload claims every piece before keeping it, so
/// memory follows the bytes actually received, never the sizes announced;
/// a piece that would pass the cap fails that upload with 503 + Retry-After
/// (the others, and memory, are fine), and a finished or failed upload gives
/// its bytes back.
public final class UploadBudget: Sendable {
    public let limitBytes: Int
    private let used = Mutex(0)

    public init(limitBytes: Int) { self.limitBytes = limitBytes }

    /// The `type` of the 503 a refused upload gets.
    public static let errorType = "upload_buffer_full"

    /// Bytes claimed by uploads in progress.
    public var usedBytes: Int { used.withLock { $0 } }

    /// One upload's share of the budget; `release()` it when the upload ends.
    public final class Claim: @unchecked Sendable {  // used by the one handler task that made it
        private let budget: UploadBudget
        private(set) var bytes = 0

        fileprivate init(_ budget: UploadBudget) { self.budget = budget }

        /// Claims `count` more bytes, or throws 503 when the budget cannot
        /// cover them now — 413 when it never could, this upload alone
        /// passing it (a retry would only be refused again).
        public func add(_ count: Int) throws(HTTPError) {
            let limit = budget.limitBytes
            guard count <= limit - bytes else {
                throw HTTPError(.contentTooLarge,
                                "this upload alone needs more than the \(limit >> 20) MiB all uploads in progress may buffer "
                                    + "(upload_buffer_mb); keep upload_buffer_mb at least max_upload_mb",
                                type: "invalid_request_error")
            }
            let granted = budget.used.withLock { used -> Bool in
                guard count <= limit - used else { return false }
                used += count
                return true
            }
            guard granted else {
                throw HTTPError(.serviceUnavailable,
                                "adapter uploads and folder loads in progress already buffer the limit of \(limit >> 20) MiB (upload_buffer_mb); retry shortly",
                                headers: ["Retry-After": "5"], type: UploadBudget.errorType)
            }
            bytes += count
        }

        /// Gives every claimed byte back.
        public func release() {
            let n = bytes
            bytes = 0
            budget.used.withLock { $0 -= n }
        }
    }

    public func claim() -> Claim { Claim(self) }
}
