import PeerSession
import PeerWire
import Testing

/// Bugs found by review, each pinned by the input that showed it.
struct SessionRegressionTests {
    private func bytes(_ kind: DatagramKind, sid: UInt64, seq: UInt64? = nil, ack: UInt64 = 0,
                       frag: Fragment? = nil, body: String = "") -> [UInt8] {
        Wire.encode(Datagram(kind: kind, from: "bob", session: SessionID(rawValue: sid), ack: ack, base: 1,
                             sequence: seq, fragment: frag, body: Array(body.utf8)))
    }

    private func alice() -> Session {
        Session(configuration: SessionConfiguration(name: "alice", sessionID: SessionID(rawValue: 0xA0000)),
                now: .zero)
    }

    @Test("a rejected first datagram does not adopt its sender's run")
    func strayFirstDatagram() {
        var session = alice()
        session.receive(bytes(.ack, sid: 0xFFFF_FFFF, ack: 5), now: .zero)  // impossible count: rejected
        #expect(session.statistics.rejected == 1)
        session.receive(bytes(.data, sid: 0x10000, seq: 1, body: "hello"), now: .zero)
        #expect(session.pollDelivery()?.text == "hello")
    }

    @Test("a rejected datagram from a later run does not restart the other side")
    func rejectedRestart() {
        var session = alice()
        session.receive(bytes(.data, sid: 0x10000, seq: 1, body: "one"), now: .zero)
        #expect(session.pollDelivery()?.text == "one")
        session.receive(bytes(.ack, sid: 0x20000, ack: 99), now: .zero)
        var events: [Event] = []
        while let event = session.pollEvent() { events.append(event) }
        #expect(!events.contains { if case .peerUp(_, _, .restarted) = $0 { true } else { false } })
        session.receive(bytes(.data, sid: 0x10000, seq: 2, body: "two"), now: .zero)
        #expect(session.pollDelivery()?.text == "two")
    }

    @Test("a message cut short is abandoned even when its pieces so far were empty")
    func emptyFirstFragment() {
        var session = alice()
        session.receive(bytes(.data, sid: 0x10000, seq: 1, frag: Fragment(index: 1, count: 3)), now: .zero)
        session.receive(bytes(.data, sid: 0x10000, seq: 2, body: "unrelated"), now: .zero)
        session.receive(bytes(.data, sid: 0x10000, seq: 3, frag: Fragment(index: 2, count: 3), body: "spliced "),
                        now: .zero)
        session.receive(bytes(.data, sid: 0x10000, seq: 4, frag: Fragment(index: 3, count: 3), body: "message"),
                        now: .zero)
        var shown: [String] = []
        while let delivery = session.pollDelivery() { shown.append(delivery.text) }
        #expect(shown == ["unrelated"])
        #expect(session.statistics.rejected >= 2)
    }
}
