import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The standard process metrics (the names Prometheus client libraries use,
/// so stock dashboards work), read at scrape time from /proc and getrusage.
public enum ProcessMetrics {
    /// Registers `process_resident_memory_bytes`, `process_virtual_memory_bytes`,
    /// `process_open_fds`, `process_max_fds`, `process_cpu_seconds_total` and
    /// `process_start_time_seconds` (`startTime`).
    public static func register(in registry: MetricsRegistry, startTime: Date = Date()) throws(MetricsError) {
        let start = startTime.timeIntervalSince1970
        try registry.computed("process_resident_memory_bytes", help: "Resident set size in bytes.") {
            residentMemoryBytes().map { [([], Double($0))] } ?? []
        }
        try registry.computed("process_virtual_memory_bytes", help: "Virtual memory size in bytes.") {
            virtualMemoryBytes().map { [([], Double($0))] } ?? []
        }
        try registry.computed("process_open_fds", help: "Number of open file descriptors.") {
            openFileDescriptors().map { [([], Double($0))] } ?? []
        }
        try registry.computed("process_max_fds", help: "Maximum number of open file descriptors.") {
            var limit = rlimit()
            guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return [] }
            return [([], Double(limit.rlim_cur))]
        }
        try registry.computed("process_cpu_seconds", help: "Total user and system CPU time spent in seconds.",
                              type: .counter) {
            [([], cpuSeconds())]
        }
        try registry.computed("process_start_time_seconds", help: "Start time of the process since unix epoch in seconds.") {
            [([], start)]
        }
    }

    /// Resident set size: the second field of /proc/self/statm (pages) × page size.
    public static func residentMemoryBytes() -> UInt64? {
        statmField(1)
    }

    /// Virtual size: the first field of /proc/self/statm (pages) × page size.
    public static func virtualMemoryBytes() -> UInt64? {
        statmField(0)
    }

    private static func statmField(_ index: Int) -> UInt64? {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return nil }
        return parseStatm(text, field: index, pageSize: UInt64(max(1, sysconf(Int32(_SC_PAGESIZE)))))
    }

    /// Field `field` of a statm line ("size resident shared text lib data dt", in pages) in bytes.
    public static func parseStatm(_ text: String, field: Int, pageSize: UInt64) -> UInt64? {
        let fields = text.split(whereSeparator: { $0 == " " || $0 == "\n" })
        guard field < fields.count, let pages = UInt64(fields[field]) else { return nil }
        return pages * pageSize
    }

    /// Entries in /proc/self/fd.
    public static func openFileDescriptors() -> Int? {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")).map(\.count)
    }

    /// User + system CPU seconds of this process (getrusage(RUSAGE_SELF)).
    public static func cpuSeconds() -> Double {
        var usage = rusage()
        guard getrusage(RUSAGE_SELF.rawValue, &usage) == 0 else { return 0 }
        func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }
}
