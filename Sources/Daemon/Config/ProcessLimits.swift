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

    /// The limits of this process, read now. `countingTasks` false leaves
    /// out the scan of every process's status (for a reading of the
    /// address space alone): `tasks` is then nil.
    public static func current(countingTasks: Bool = true) -> ProcessLimits {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        // The kernel does not enforce RLIMIT_NPROC under CAP_SYS_ADMIN (21) or CAP_SYS_RESOURCE (24).
        let enforced = capabilities(status).map { $0 & (1 << 21 | 1 << 24) == 0 } ?? true
        let counted = countingTasks && enforced
        return ProcessLimits(tasks: counted ? soft(__RLIMIT_NPROC) : nil, tasksRunning: counted ? tasksOfRealUser(getuid()) : 0,
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
