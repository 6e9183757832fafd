import Foundation

/// Resident memory of a process as Linux reports it in /proc/PID/status.
public enum ProcessMemory {
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
