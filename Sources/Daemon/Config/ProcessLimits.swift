import Foundation
import Glibc

/// The two process limits that stall serving without any error of their
/// own, read once at start so the log says why before a request hangs:
///
/// - `RLIMIT_NPROC` (`ulimit -u`, `LimitNPROC=`): a thread that cannot be
///   created leaves libdispatch's queued work waiting forever (it reports
///   nothing), so requests hang with no log line.
/// - `RLIMIT_AS` (`ulimit -v`, `LimitAS=`): OpenBLAS retries a buffer it
///   cannot map forever, at full CPU, inside the first request's multiply.
public struct ProcessLimits: Sendable, Equatable {
    /// Soft `RLIMIT_NPROC`; nil when unlimited, or not enforced on this
    /// process (the kernel exempts `CAP_SYS_ADMIN` and `CAP_SYS_RESOURCE`).
    public var tasks: Int?
    /// Processes and threads the real user runs now: what the kernel counts
    /// against `tasks` (it counts per real user id, not per process).
    public var tasksRunning: Int
    /// Soft `RLIMIT_AS` in bytes, nil when unlimited.
    public var addressSpace: Int?
    /// This process's address space now (`VmSize`), bytes.
    public var mapped: Int

    public init(tasks: Int?, tasksRunning: Int, addressSpace: Int?, mapped: Int) {
        self.tasks = tasks
        self.tasksRunning = tasksRunning
        self.addressSpace = addressSpace
        self.mapped = mapped
    }

    /// The limits of this process, read now.
    public static func current() -> ProcessLimits {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let exempt = capabilities(status).map { $0 & (1 << 21 | 1 << 24) != 0 } ?? false  // CAP_SYS_ADMIN, CAP_SYS_RESOURCE
        return ProcessLimits(tasks: exempt ? nil : soft(__RLIMIT_NPROC), tasksRunning: exempt ? 0 : tasksOfRealUser(getuid()),
                             addressSpace: soft(RLIMIT_AS), mapped: (field("VmSize", in: status) ?? 0) * 1024)
    }

    private static func soft(_ resource: __rlimit_resource) -> Int? {
        var limit = rlimit()
        // RLIM_INFINITY is all ones.
        guard getrlimit(Int32(resource.rawValue), &limit) == 0, limit.rlim_cur != rlim_t.max,
              limit.rlim_cur <= UInt64(Int.max) else { return nil }
        return Int(limit.rlim_cur)
    }

    /// `CapEff` of a `/proc/…/status` text: the effective capability bits.
    static func capabilities(_ status: String) -> UInt64? {
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("CapEff:") }) else { return nil }
        return UInt64(line.dropFirst("CapEff:".count).trimmingCharacters(in: .whitespaces), radix: 16)
    }

    /// The first number of a `/proc/…/status` line `name:` (`VmSize: 626092 kB` → 626092).
    static func field(_ name: String, in status: String) -> Int? {
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(name + ":") }) else { return nil }
        return line.dropFirst(name.count + 1).split(whereSeparator: { $0 == " " || $0 == "\t" }).first.flatMap { Int($0) }
    }

    /// Threads of every process whose real user id is `uid` (`Uid:`'s first
    /// number, `Threads:` of each `/proc/PID/status`). Processes that exit
    /// while being read are skipped.
    static func tasksOfRealUser(_ uid: uid_t) -> Int {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return 0 }
        var total = 0
        for pid in entries where pid.first?.isNumber == true && pid.allSatisfy(\.isNumber) {
            guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
                  field("Uid", in: status) == Int(uid) else { continue }
            total += field("Threads", in: status) ?? 1
        }
        return total
    }
}

extension Configuration {
    /// Threads lorad may start beyond those running at start-up: the
    /// compute pool and OpenBLAS's (`threads` each), and libdispatch's
    /// workers for HTTP handlers, blocking work and timers, which grow
    /// with concurrent requests (11 threads on 2 cores after 4 concurrent
    /// completions; the margin covers bursts).
    public var threadsNeeded: Int { 2 * threads + 32 }

    /// Address space lorad may still map beyond what it maps once loaded:
    /// the KV cache, adapter cache and upload budgets, OpenBLAS's buffers
    /// (128 MiB a thread, and one for the caller, in OpenBLAS 0.3.21 on
    /// x86-64) and 256 MiB for the allocator's per-thread arenas (reserved,
    /// not touched). Measured: a 5 MB model maps 626 MB idle, 1.04 GB after
    /// its first completion, on 2 threads.
    public var addressSpaceNeeded: Int {
        (kvCacheMB + adapterCacheMB + uploadBufferMB) << 20 + (threads + 1) * (128 << 20) + (256 << 20)
    }

    /// Why `ulimit -u` may stall requests, or nil when it leaves room.
    public func threadLimitProblem(_ limits: ProcessLimits) -> String? {
        guard let limit = limits.tasks, limit - limits.tasksRunning < threadsNeeded else { return nil }
        return "the process limit (ulimit -u, RLIMIT_NPROC) is \(limit) and this user already runs \(limits.tasksRunning) "
            + "processes and threads: lorad may need \(threadsNeeded) more (threads = \(threads)), and requests hang when "
            + "a thread cannot be created; raise it (LimitNPROC= in the unit) or run lorad as a user of its own"
    }

    /// Why `ulimit -v` may stall requests, or nil when it leaves room.
    public func addressSpaceProblem(_ limits: ProcessLimits) -> String? {
        guard let limit = limits.addressSpace, limit - limits.mapped < addressSpaceNeeded else { return nil }
        return "the address-space limit (ulimit -v, RLIMIT_AS) is \(limit >> 20) MiB and lorad maps \(limits.mapped >> 20) MiB "
            + "now: the KV cache, adapter cache and upload budgets (\(kvCacheMB + adapterCacheMB + uploadBufferMB) MiB), "
            + "OpenBLAS's buffers and the allocator's arenas may need \(addressSpaceNeeded >> 20) MiB more, and a request "
            + "whose multiply cannot map its buffer spins instead of failing; raise or remove the limit (memory is better "
            + "capped with MemoryMax=, which counts what is used, not what is reserved)"
    }
}
