import Foundation
#if canImport(CMallocInfo) && os(Linux)
import CMallocInfo
#endif

/// Resident memory of a process as Linux reports it in /proc/PID/status,
/// and this process's live heap as glibc's malloc counts it.
public enum ProcessMemory {
    /// Bytes malloc has handed out and not had back (`mallinfo2`: in-use
    /// arena chunks plus mmapped ones), or nil where glibc cannot say. Unlike
    /// RSS it drops when memory is freed: a leak check made with it is not
    /// thrown by what other tests running in this process allocated and
    /// freed meanwhile (freed heap pages stay resident).
    public static func heapInUseBytes() -> Int? {
        #if canImport(CMallocInfo) && os(Linux)
        let info = mallinfo2()
        return Int(info.uordblks) + Int(info.hblkhd)
        #else
        return nil
        #endif
    }

    /// VmRSS in bytes (0 when unreadable); `pid` nil = this process.
    public static func residentBytes(pid: Int32? = nil) -> Int { field("VmRSS", pid: pid) }

    /// VmHWM (the peak resident size so far) in bytes; `pid` nil = this process.
    public static func peakBytes(pid: Int32? = nil) -> Int { field("VmHWM", pid: pid) }

    private static func field(_ key: String, pid: Int32?) -> Int {
        let path = "/proc/\(pid.map(String.init) ?? "self")/status"
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(key + ":") }),
              let kib = line.split(separator: " ").dropFirst().first(where: { !$0.isEmpty }).flatMap({ Int($0) })
        else { return 0 }
        return kib * 1024
    }
}
