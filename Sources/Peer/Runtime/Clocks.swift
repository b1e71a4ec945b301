import Glibc
import PeerSession

/// The two clocks the runtime reads and injects into the protocol core.
enum Clocks {
    /// CLOCK_MONOTONIC: never steps, so timers stay right when the wall clock is changed.
    static func monotonic() -> Instant {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Instant(microseconds: Int64(spec.tv_sec) * 1_000_000 + Int64(spec.tv_nsec) / 1000)
    }

    /// CLOCK_REALTIME in microseconds since the Unix epoch: for log timestamps and session identities.
    static func wallMicroseconds() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1_000_000 + Int64(spec.tv_nsec) / 1000
    }
}
