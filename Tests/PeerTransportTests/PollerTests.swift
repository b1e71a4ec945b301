@testable import PeerTransport
import Testing

@Suite("Poller and Waker")
struct PollerTests {
    @Test("a timeout is kept to the microsecond and never ends early")
    func timeoutNeverEndsEarly() throws {
        let socket = try UDPSocket.onLoopback()
        let start = Syscalls.monotonicMicroseconds()
        let result = try Poller.wait(sockets: [socket], waker: nil, timeoutMicroseconds: 1_500)
        #expect(Syscalls.monotonicMicroseconds() - start >= 1_500)
        #expect(result.readiness == [[]] && !result.woken)
    }

    @Test("deadlines saturate instead of wrapping into the past")
    func deadlines() {
        #expect(Poller.deadline(from: 10, after: 5) == 15)
        #expect(Poller.deadline(from: 10, after: -5) == 10)
        #expect(Poller.deadline(from: 10, after: Int64.max) == Int64.max)
    }

    @Test("reports which of several sockets is readable, in order")
    func readinessPerSocket() throws {
        let quiet = try UDPSocket.onLoopback()
        let busy = try UDPSocket.onLoopback()
        try quiet.send([1], to: busy.localAddress())
        let result = try Poller.wait(
            sockets: [quiet, busy],
            waker: nil,
            timeoutMicroseconds: UDPSocket.testTimeoutMicroseconds
        )
        #expect(result.readiness == [[], .readable])
        #expect(!result.woken)
    }

    @Test("a zero timeout only checks")
    func zeroTimeout() throws {
        let socket = try UDPSocket.onLoopback()
        let waker = try Waker()
        let result = try Poller.wait(sockets: [socket], waker: waker, timeoutMicroseconds: 0)
        #expect(result.readiness == [[]])
        #expect(!result.woken)
    }

    @Test("a wake-up from another thread ends a long wait")
    func wakeFromAnotherThread() async throws {
        let socket = try UDPSocket.onLoopback()
        let waker = try Waker()
        // An untyped closure: a typed-throws closure here crashes the Swift 6.3.1 compiler (SILGen reabstraction).
        let waiter = Task.detached {
            try Poller.wait(sockets: [socket], waker: waker, timeoutMicroseconds: 600_000_000)
        }
        waker.wake()
        let result = try await waiter.value
        #expect(result.woken)
        #expect(result.readiness == [[]])
    }

    @Test("a wake-up before the wait is kept, many collapse into one, and waiting drains them")
    func wakeBeforeWait() throws {
        let waker = try Waker()
        waker.wake()
        waker.wake()
        waker.wake()
        let first = try Poller.wait(sockets: [], waker: waker, timeoutMicroseconds: nil)
        #expect(first.woken)
        #expect(first.readiness.isEmpty)
        let second = try Poller.wait(sockets: [], waker: waker, timeoutMicroseconds: 0)
        #expect(!second.woken)
    }

    @Test("closed sockets and wakers are ignored, not errors")
    func closedParticipants() throws {
        let socket = try UDPSocket.onLoopback()
        socket.close()
        let waker = try Waker()
        waker.close()
        waker.wake()
        #expect(waker.fileDescriptor == -1)
        let result = try Poller.wait(sockets: [socket], waker: waker, timeoutMicroseconds: 0)
        #expect(result.readiness == [[]])
        #expect(!result.woken)
    }
}
