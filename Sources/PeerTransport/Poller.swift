import Glibc

/// Waits until any of several sockets is ready, a waker fires, or time runs out: a thin ppoll(2) wrapper.
public enum Poller {
    /// Blocks until a socket is readable or has an error, the waker is signalled, or the timeout passes.
    ///
    /// The timeout is kept to the microsecond (ppoll's): a timer due in 1.2 ms wakes the caller after 1.2 ms, not
    /// 2 (poll(2) counts whole milliseconds, and rounding up made an emulated 1 ms delay 1–2 ms, a round trip 3.5
    /// ms instead of 2); 0 only checks without waiting. A signal interrupting the wait (`EINTR`) is handled here: the wait
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
                _ = try Syscalls.poll(&descriptors, timeoutMicroseconds: remaining.map { max(0, $0) } ?? -1)
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
