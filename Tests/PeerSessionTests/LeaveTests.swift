import PeerSession
import PeerWire
import Testing

/// `Session.leave`: a side that leaves closes once its end is acknowledged, without the other side's end; the
/// other side takes that goodbye as the end only when it is sealed (a readable PEER/1 goodbye can be forged).
struct LeaveTests {
    /// Two readable (PEER/1) sessions on a perfect 1 ms link, pumped until `until` holds or 10 s pass.
    static func pump(_ a: inout Session, _ b: inout Session, until done: (Session, Session) -> Bool) -> Instant {
        var now = Instant.zero
        var toA: [(Instant, [UInt8])] = []
        var toB: [(Instant, [UInt8])] = []
        while now < .zero + .seconds(10), !done(a, b) {
            for (at, bytes) in toA where at <= now { a.receive(bytes, now: now) }
            for (at, bytes) in toB where at <= now { b.receive(bytes, now: now) }
            toA.removeAll { $0.0 <= now }
            toB.removeAll { $0.0 <= now }
            if let deadline = a.nextTimeout(), deadline <= now { a.handleTimeout(now: now) }
            if let deadline = b.nextTimeout(), deadline <= now { b.handleTimeout(now: now) }
            while let transmit = a.pollTransmit(now: now) { toB.append((now + .milliseconds(1), transmit.bytes)) }
            while let transmit = b.pollTransmit(now: now) { toA.append((now + .milliseconds(1), transmit.bytes)) }
            while a.pollEvent() != nil {}
            while b.pollEvent() != nil {}
            now = now + .milliseconds(1)
        }
        return now
    }

    @Test("a readable side that leaves closes once its end is acknowledged; the other, not done, stays open")
    func readableGoodbyeDoesNotEndTheOtherSide() throws {
        var alice = Session(configuration: SessionConfiguration(
            name: "alice", sessionID: SessionID(startMilliseconds: 10, random: 1)), now: .zero)
        var bob = Session(configuration: SessionConfiguration(
            name: "bob", sessionID: SessionID(startMilliseconds: 11, random: 2), linger: .seconds(60)), now: .zero)
        try alice.submit("hello", now: .zero)
        bob.leave(now: .zero)
        _ = Self.pump(&alice, &bob) { _, bob in bob.state.isClosed }
        #expect(bob.state == .closed(SessionOutcome(everythingAcknowledged: true, reason: .completed)))
        // Bob's goodbye came after his end, but readable: alice goes on until her own end.
        #expect(!alice.state.isClosed)
        #expect(alice.pollDelivery() == nil, "bob typed nothing")
    }
}
