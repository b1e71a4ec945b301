import Glibc

/// Waits until any of several sockets is ready, a waker fires, or time runs out: a thin poll(2) wrapper.
public enum Poller {
    /// Blocks until a socket is readable or has an error, the waker is signalled, or the timeout passes.
    ///
    /// The timeout is rounded up to whole milliseconds so the caller never wakes before its deadline: 1 µs waits
    /// 1 ms, and 0 only checks without waiting. A signal interrupting the wait (`EINTR`) is handled here: the wait
    /// resumes for the time that is left, so `.interrupted` is never thrown. Closed sockets (descriptor -1) are
    /// ignored and report empty readiness.
    /// - Parameters:
    ///   - sockets: The sockets to watch for incoming datagrams and errors.
    ///   - waker: Also returns when this is woken; it is drained so the next wait blocks again.
    ///   - timeoutMicroseconds: How long to wait at most; nil waits until something happens; 0 or less doesn't wait.
    /// - Returns: One `Readiness` per socket in the order given (empty when idle), and whether the waker fired.
    ///   A timeout returns all-empty readiness and `woken` false.
    /// - Throws: The `poll` failure as `.other(call: "poll", …)`, e.g. with more descriptors than the process may
    ///   open.
    public static func wait(
        sockets: [UDPSocket],
        waker: Waker?,
        timeoutMicroseconds: Int64?
    ) throws(SocketError) -> (readiness: [Readiness], woken: Bool) {
        var descriptors = sockets.map { pollfd(fd: $0.fileDescriptor, events: Int16(POLLIN), revents: 0) }
        let wakerIndex = descriptors.count
        if let waker {
            descriptors.append(pollfd(fd: waker.fileDescriptor, events: Int16(POLLIN), revents: 0))
        }
        let deadline = timeoutMicroseconds.map { Self.deadline(from: Syscalls.monotonicMicroseconds(), after: $0) }
        while true {
            let remaining = deadline.map { $0 - Syscalls.monotonicMicroseconds() }
            do throws(SocketError) {
                _ = try Syscalls.poll(&descriptors, timeoutMilliseconds: Self.milliseconds(roundingUp: remaining))
                break
            } catch .interrupted {
                continue
            }
        }
        let readiness = descriptors.prefix(wakerIndex).map { Self.readiness(from: $0.revents) }
        var woken = false
        if let waker, wakerIndex < descriptors.count, descriptors[wakerIndex].revents != 0 {
            waker.drain()
            woken = true
        }
        return (readiness, woken)
    }

    /// The clock reading `timeout` microseconds after `now`; saturates so a huge timeout cannot wrap into the past.
    static func deadline(from now: Int64, after timeout: Int64) -> Int64 {
        let (sum, overflow) = now.addingReportingOverflow(max(timeout, 0))
        return overflow ? Int64.max : sum
    }

    /// poll(2)'s timeout argument: -1 for forever, otherwise whole milliseconds rounded up and clamped.
    static func milliseconds(roundingUp microseconds: Int64?) -> Int32 {
        guard let microseconds else {
            return -1
        }
        guard microseconds > 0 else {
            return 0
        }
        let rounded = microseconds / 1_000 + (microseconds % 1_000 == 0 ? 0 : 1)
        return Int32(clamping: rounded)
    }

    private static func readiness(from events: Int16) -> Readiness {
        var readiness: Readiness = []
        if events & Int16(POLLIN) != 0 {
            readiness.insert(.readable)
        }
        if events & Int16(POLLERR | POLLHUP | POLLNVAL) != 0 {
            readiness.insert(.error)
        }
        return readiness
    }
}
