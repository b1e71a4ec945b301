import Foundation

/// What this machine offers for IPv6, read from the kernel so tests assert the truth rather than skip.
enum IPv6Support {
    /// True when the loopback interface carries ::1 (listed in /proc/net/if_inet6, absent when IPv6 is disabled).
    static var hasLoopback: Bool {
        guard let table = try? String(contentsOfFile: "/proc/net/if_inet6", encoding: .utf8) else {
            return false
        }
        return table.split(separator: "\n").contains { $0.hasPrefix("00000000000000000000000000000001") }
    }
}
