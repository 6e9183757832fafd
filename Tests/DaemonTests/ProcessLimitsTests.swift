import Foundation
import Glibc
import Testing
@testable import Daemon

/// The start-up warnings for `ulimit -u` and `ulimit -v`, and the readings
/// they rest on, checked against the kernel's own files.
@Suite struct ProcessLimitsTests {
    static let mib = 1 << 20

    @Test func aThreadLimitWarnsOnlyWhenItLeavesLessThanLoradMayNeed() throws {
        var c = Configuration()
        c.threads = 2
        #expect(c.threadsNeeded == 36)
        #expect(c.threadLimitProblem(ProcessLimits(tasks: nil, tasksRunning: 5000, addressSpace: nil, mapped: 0)) == nil)
        #expect(c.threadLimitProblem(ProcessLimits(tasks: 100, tasksRunning: 64, addressSpace: nil, mapped: 0)) == nil)
        let problem = try #require(c.threadLimitProblem(ProcessLimits(tasks: 100, tasksRunning: 65, addressSpace: nil, mapped: 0)))
        #expect(problem.contains("RLIMIT_NPROC) is 100") && problem.contains("already runs 65") && problem.contains("need 36 more"))
        #expect(problem.contains("LimitNPROC="))
    }

    @Test func anAddressSpaceLimitWarnsOnlyWhenTheBudgetsAndBuffersDoNotFit() throws {
        var c = Configuration()
        c.threads = 1
        c.kvCacheMB = 100
        c.adapterCacheMB = 200
        c.uploadBufferMB = 300
        // 600 MiB of budgets, 2 × 128 MiB of OpenBLAS buffers, 256 MiB of arenas.
        #expect(c.addressSpaceNeeded == 1112 * Self.mib)
        let mapped = 700 * Self.mib
        #expect(c.addressSpaceProblem(ProcessLimits(tasks: nil, tasksRunning: 0, addressSpace: nil, mapped: mapped)) == nil)
        #expect(c.addressSpaceProblem(ProcessLimits(tasks: nil, tasksRunning: 0, addressSpace: 1812 * Self.mib, mapped: mapped)) == nil)
        let problem = try #require(c.addressSpaceProblem(
            ProcessLimits(tasks: nil, tasksRunning: 0, addressSpace: 1811 * Self.mib, mapped: mapped)))
        #expect(problem.contains("is 1811 MiB") && problem.contains("maps 700 MiB") && problem.contains("(600 MiB)")
                && problem.contains("need 1112 MiB more"))
    }

    @Test func statusFieldsAndCapabilitiesAreReadAsTheKernelWritesThem() {
        let status = "Name:\tlorad\nUid:\t65534\t65534\t65534\t65534\nThreads:\t7\nVmSize:\t  626092 kB\nCapEff:\t0000000001200000\n"
        #expect(ProcessLimits.field("Uid", in: status) == 65534)
        #expect(ProcessLimits.field("Threads", in: status) == 7)
        #expect(ProcessLimits.field("VmSize", in: status) == 626_092)
        #expect(ProcessLimits.field("VmPeak", in: status) == nil)
        #expect(ProcessLimits.capabilities(status) == 0x1200000)  // CAP_SYS_ADMIN (21) and CAP_SYS_RESOURCE (24)
    }

    /// The readings agree with getrlimit(2) and /proc read another way.
    @Test func theCurrentLimitsAgreeWithTheKernel() throws {
        let limits = ProcessLimits.current()
        var rl = rlimit()
        #expect(getrlimit(Int32(RLIMIT_AS.rawValue), &rl) == 0)
        #expect(limits.addressSpace == (rl.rlim_cur == rlim_t.max ? nil : Int(rl.rlim_cur)))
        // VmSize counts whole pages.
        #expect(limits.mapped > 0 && limits.mapped % Int(sysconf(Int32(_SC_PAGESIZE))) == 0)
        let ownThreads = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/task").count
        #expect(ProcessLimits.tasksOfRealUser(getuid()) >= ownThreads)
        #expect(ProcessLimits.tasksOfRealUser(uid_t.max - 1) == 0, "no process runs as that user")
    }
}
