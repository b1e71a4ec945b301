import Foundation
import Peer
import PeerSession
import PeerTransport
import PeerWire
import Synchronization
import Testing

/// The runtime's flush follows `CoreDriver`'s order on real sockets: a message is out of the process before the
/// datagram whose count covers it leaves.
struct RuntimeOrderTests {
    /// The acknowledgements waiting on `socket` (or arriving within `patience`): each datagram's count.
    static func counts(waitingOn socket: UDPSocket, patience microseconds: Int64) -> [UInt64] {
        var counts: [UInt64] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while (try? Poller.wait(sockets: [socket], waker: nil, timeoutMicroseconds: microseconds))?
            .readiness.first?.contains(.readable) == true {
            let datagram = buffer.withUnsafeMutableBytes { raw -> Datagram? in
                guard let received = try? socket.receive(into: raw) else { return nil }
                return try? Wire.decode(UnsafeRawBufferPointer(rebasing: raw[0..<received.count]))
            }
            if let datagram { counts.append(datagram.ack) }
        }
        return counts
    }

    @Test("a delivered message is handed over before any datagram acknowledging it leaves the socket")
    func showBeforeAcknowledging() throws {
        // The test plays alice with a session of its own, from a plain socket the runtime (bob) talks to.
        let aliceSocket = try UDPSocket.bound(to: .loopback(port: 0))
        defer { aliceSocket.close() }
        let countsSeenWhenShown = Mutex<[[UInt64]]>([])
        let shown = DispatchSemaphore(value: 0)
        let output = RuntimeOutput(
            deliver: { _ in
                // On bob's protocol thread, inside its flush: had the runtime sent its acknowledgement first, it
                // would be waiting on alice's socket now (loopback hands a datagram over within the send).
                let counts = Self.counts(waitingOn: aliceSocket, patience: 100_000)
                countsSeenWhenShown.withLock { $0.append(counts) }
                shown.signal()
            },
            log: { _ in })
        let bob = try PeerRuntime(configuration: RuntimeConfiguration(name: "bob", listenPort: 0, sourcePort: 0))
        try bob.start(destination: .loopback(port: try aliceSocket.localAddress().port), output: output)

        let now = Instant(microseconds: 1_000_000)
        let aliceIdentity = SessionID(rawValue: 0xA_0000)
        var alice = Session(configuration: SessionConfiguration(name: "alice", sessionID: aliceIdentity), now: now)
        while alice.pollTransmit(now: now) != nil {}  // its start-up PING: the introduction below says hello instead
        // Bob believes alice only once she has answered his challenge.
        #expect(try introduce(from: aliceSocket, to: bob.listenPort, as: aliceIdentity, name: "alice") != nil)
        _ = Self.counts(waitingOn: aliceSocket, patience: 100_000)  // bob's answers to alice, read and dropped
        try alice.submit("shown first", now: now)
        while let transmit = alice.pollTransmit(now: now) {
            try aliceSocket.send(transmit.bytes, to: .loopback(port: bob.listenPort))
        }
        #expect(shown.wait(timeout: .now() + 20) == .success)
        // The acknowledgement does come, just after: the check above could have seen it.
        var later: [UInt64] = []
        for _ in 0..<50 where !later.contains(where: { $0 >= 1 }) {
            later += Self.counts(waitingOn: aliceSocket, patience: 100_000)
        }
        bob.interrupt()
        _ = bob.wait()
        #expect(countsSeenWhenShown.withLock { $0 }.count == 1)
        #expect(countsSeenWhenShown.withLock { $0 }.joined().allSatisfy { $0 == 0 })
        #expect(later.contains { $0 >= 1 })
    }
}
