import PeerSession
import PeerWire
import Testing

/// Bugs found by review, each pinned by the input that showed it.
struct SessionRegressionTests {
    private func bytes(_ kind: DatagramKind, sid: UInt64, seq: UInt64? = nil, ack: UInt64 = 0,
                       frag: Fragment? = nil, body: String = "") -> [UInt8] {
        Wire.encode(Datagram(kind: kind, from: "bob", session: SessionID(rawValue: sid),
                             to: SessionID(rawValue: 0xA0000), ack: ack, base: 1,
                             sequence: seq, fragment: frag, body: Array(body.utf8)))
    }

    private func alice() -> Session {
        Session(configuration: SessionConfiguration(name: "alice", sessionID: SessionID(rawValue: 0xA0000)),
                now: .zero)
    }

    @Test("a first datagram from a run not yet proven adopts nothing and shows nothing")
    func strayFirstDatagram() {
        var session = alice()
        session.receive(bytes(.data, sid: 0xFFFF, seq: 1, body: "forged"), now: .zero)
        #expect(session.statistics.unproven == 1)
        #expect(session.pollDelivery() == nil)
        #expect(session.otherName == nil)
        session.believe(SessionID(rawValue: 0x10000), now: .zero)
        session.receive(bytes(.data, sid: 0x10000, seq: 1, body: "hello"), now: .zero)
        #expect(session.pollDelivery()?.text == "hello")
    }

    @Test("a rejected datagram from a later run does not restart the other side")
    func rejectedRestart() {
        var session = alice()
        session.believe(SessionID(rawValue: 0x10000), now: .zero)
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
        session.believe(SessionID(rawValue: 0x10000), now: .zero)
        session.receive(bytes(.data, sid: 0x10000, seq: 1, frag: Fragment(index: 1, count: 3)), now: .zero)
        session.receive(bytes(.data, sid: 0x10000, seq: 2, body: "unrelated"), now: .zero)
        session.receive(bytes(.data, sid: 0x10000, seq: 3, frag: Fragment(index: 2, count: 3), body: "spliced "),
                        now: .zero)
        session.receive(bytes(.data, sid: 0x10000, seq: 4, frag: Fragment(index: 3, count: 3), body: "message"),
                        now: .zero)
        var shown: [String] = []
        while let delivery = session.pollDelivery() { shown.append(delivery.text) }
        #expect(shown == ["unrelated"])
        #expect(session.statistics.abandoned >= 2)
    }
}

/// Messages already waiting when the session sends travel together; a lone message is never held back.
struct BatchingTests {
    @Test("queued short messages share a datagram, and arrive as separate messages in order")
    func queuedMessagesArePacked() throws {
        var alice = Session(configuration: SessionConfiguration(name: "alice", sessionID: SessionID(rawValue: 0xA0000)),
                            now: .zero)
        var bob = Session(configuration: SessionConfiguration(name: "bob", sessionID: SessionID(rawValue: 0xB0000)),
                          now: .zero)
        alice.believe(bob.identity, now: .zero)
        bob.believe(alice.identity, name: "alice", now: .zero)
        let texts = (1...40).map { "message \($0): well-known -\($0)" }
        for text in texts { try alice.submit(text, now: .zero) }
        var data: [Datagram] = []
        while let transmit = alice.pollTransmit(now: .zero) {
            let datagram = try Wire.decode(transmit.bytes)
            if datagram.kind == .data { data.append(datagram) }
            bob.receive(transmit.bytes, now: .zero)
        }
        #expect(data.count < texts.count / 10)
        #expect(data.allSatisfy { $0.lengths.count <= Wire.maxBatch })
        var shown: [String] = []
        while let delivery = bob.pollDelivery() { shown.append(delivery.text) }
        #expect(shown == texts)
        #expect(alice.statistics.dataTransmissions == texts.count)
    }

    @Test("a message typed alone goes out at once, alone")
    func loneMessageIsNotDelayed() throws {
        var alice = Session(configuration: SessionConfiguration(name: "alice", sessionID: SessionID(rawValue: 0xA0000)),
                            now: .zero)
        while alice.pollTransmit(now: .zero) != nil {}
        try alice.submit("hello", now: .zero)
        let polled = alice.pollTransmit(now: .zero)
        let transmit = try #require(polled)
        let datagram = try Wire.decode(transmit.bytes)
        #expect(datagram.kind == .data)
        #expect(datagram.lengths.isEmpty)
        #expect(datagram.body == Array("hello".utf8))
    }
}
