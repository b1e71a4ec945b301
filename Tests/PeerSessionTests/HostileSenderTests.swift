import PeerSession
import PeerSimulation
import PeerWire
import Testing

/// What an attacker who can send from the other side's address, but cannot read what is sent to it (off-path,
/// no sniffing), could do to peer 1.0, each pinned by the datagram that did it: forged restarts and jumps, our
/// own datagrams sent back, stale acknowledgements of another run, amplification and round-trip poisoning.
struct HostileSenderTests {
    /// Alice has sent three messages; bob (proven) has acknowledged none yet.
    private func aliceTalkingToBob() throws -> Harness {
        var harness = Harness()
        for text in ["one", "two", "three"] { try harness.submit(text) }
        _ = harness.transmits()
        _ = harness.events()
        return harness
    }

    /// Whatever it was fed, bob's current run still gets through: a new line is shown once and acknowledged, and
    /// bob's acknowledgement of alice's three messages is taken.
    private func expectConversationIntact(_ harness: inout Harness, next sequence: UInt64 = 1,
                                          sourceLocation: SourceLocation = #_sourceLocation) throws {
        try harness.expectConversationWorks(sequence: sequence, text: "genuine \(sequence)",
                                            sourceLocation: sourceLocation)
        harness.receive(Harness.fromBob(.ack, ack: 3))
        #expect(harness.session.unacknowledgedSegments == 0, sourceLocation: sourceLocation)
        #expect(harness.session.state == .open, sourceLocation: sourceLocation)
    }

    @Test("a forged restart with a session identity far in the future is challenged and never believed",
          arguments: [UInt64.max, (UInt64(1) << 63)])
    func futureIdentity(raw: UInt64) throws {
        var harness = try aliceTalkingToBob()
        let forged = SessionID(rawValue: raw)
        harness.receive(Harness.data(1, "forged line", session: forged))
        harness.receive(Harness.fromBob(.ping, timestamp: 1, session: forged))
        #expect(harness.shown().isEmpty)
        #expect(rejectReasons(harness.events()).isEmpty)
        #expect(harness.session.statistics.unproven == 2)
        _ = harness.transmits()
        try expectConversationIntact(&harness)
    }

    @Test("a forged restart is challenged, shows nothing, and changes nothing until it answers")
    func forgedRestartChallenged() throws {
        var harness = try aliceTalkingToBob()
        // A plausible later run: ten seconds after bob's, so not refused for its time.
        let forged = SessionID(startMilliseconds: Harness.bob.startMilliseconds + 10_000, random: 7)
        let bytes = Harness.data(1, "I am bob, honest", ack: 0, session: forged)
        harness.receive(bytes)
        #expect(harness.deliveries().isEmpty)
        let events = harness.events()
        #expect(events.contains(.challenge(name: "bob", session: forged, current: Harness.bob)))
        #expect(!events.contains { if case .peerUp = $0 { true } else { false } })
        // The only reply is one PING addressed to the claimed run, within 3× the forged datagram.
        let replies = harness.transmits()
        #expect(replies.map(\.kind) == [.ping])
        let challenge = try Wire.decode(try #require(replies.first).bytes)
        #expect(challenge.to == forged)
        #expect(replies.reduce(0) { $0 + $1.bytes.count } <= 3 * bytes.count)
        // Repeating the claim at once does not repeat the challenge.
        harness.receive(bytes)
        #expect(harness.transmits().isEmpty)
        try expectConversationIntact(&harness)
        #expect(harness.session.statistics.challenges == 1)
    }

    @Test("a forged PONG cannot prove a claimed run: only one echoing our challenge can")
    func guessedProofRefused() throws {
        var harness = try aliceTalkingToBob()
        let forged = SessionID(startMilliseconds: Harness.bob.startMilliseconds + 10_000, random: 7)
        harness.receive(Harness.fromBob(.ping, timestamp: 5, session: forged))
        _ = harness.transmits()
        for guess in [UInt64(0), 1, UInt64(harness.now.microseconds), 1 << 52] {
            harness.receive(Harness.fromBob(.pong, echo: guess, session: forged))
        }
        #expect(!harness.events().contains { if case .peerUp = $0 { true } else { false } })
        try expectConversationIntact(&harness)
    }

    @Test("a forged first contact shows nothing and locks nobody out, even a genuine run with a smaller identity")
    func noLockoutAfterForgedFirstContact() throws {
        var harness = Harness(strangers: true)
        // Before bob ever speaks, a forger claims to be bob with a later identity and a far-off base.
        let forged = SessionID(startMilliseconds: Harness.bob.startMilliseconds + 60_000, random: 1)
        harness.receive(Harness.fromBob(.data, sequence: 1, base: 1, body: Array("forged hello".utf8),
                                        session: forged, to: nil))
        #expect(harness.shown().isEmpty)
        #expect(harness.session.otherName == nil)
        _ = harness.transmits()
        _ = harness.events()
        // The genuine bob is challenged like anyone, and believed once he answers; his line, sent again, is shown.
        harness.receive(Harness.data(1, "hello from the real bob"))
        #expect(harness.shown().isEmpty)
        let challenge = try #require(try harness.sent().first { $0.kind == .ping && $0.to == Harness.bob })
        harness.receive(Harness.fromBob(.pong, echo: challenge.timestamp ?? 0))
        #expect(harness.events().contains(.peerUp(name: "bob", session: Harness.bob, reason: .firstContact)))
        harness.receive(Harness.data(1, "hello from the real bob"))
        #expect(harness.shown() == ["bob#1: hello from the real bob"])
    }

    @Test("no lockout: after a forged later run, bob's genuine next run (older than the forgery) is taken")
    func noLockoutAfterForgedRestart() throws {
        var harness = try aliceTalkingToBob()
        let forged = SessionID(startMilliseconds: Harness.bob.startMilliseconds + 120_000, random: 3)
        harness.receive(Harness.data(1, "forged", session: forged))
        _ = harness.transmits()
        // Bob really restarts, a minute after his first run: later than his first run, earlier than the forgery.
        let genuine = SessionID(startMilliseconds: Harness.bob.startMilliseconds + 60_000, random: 4)
        harness.now = harness.now + .seconds(1)
        harness.receive(Harness.fromBob(.ping, timestamp: 1, session: genuine, to: nil))
        let challenge = try #require(try harness.sent().first { $0.kind == .ping && $0.to == genuine })
        harness.receive(Harness.fromBob(.pong, echo: challenge.timestamp ?? 0, session: genuine))
        #expect(harness.events().contains(
            .peerUp(name: "bob", session: genuine, reason: .restarted(previous: Harness.bob))))
        harness.receive(Harness.data(1, "bob's second run", session: genuine))
        #expect(harness.shown() == ["bob#1: bob's second run"])
        // The forgery is now just another claim that never answers.
        harness.receive(Harness.data(2, "forged again", session: forged))
        #expect(harness.shown().isEmpty)
    }

    @Test("a base that jumps past the window is refused; the count stays where it was")
    func baseJump() throws {
        var harness = try aliceTalkingToBob()
        try harness.expectConversationWorks(sequence: 1, text: "first")
        for base: UInt64 in [1 << 53, 1 + 4096 + 2] {
            harness.expectRejected(Harness.fromBob(.ping, base: base, timestamp: 9), reason: "jumps past")
        }
        try expectConversationIntact(&harness, next: 2)
    }

    @Test("our own datagrams sent back to us are refused, not shown as the other side's")
    func reflection() throws {
        var harness = try aliceTalkingToBob()
        var own = Harness(strangers: true)
        try own.submit("my own words")
        let mine = own.transmits().filter { $0.kind == .data }
        for transmit in mine {
            harness.expectRejected(transmit.bytes, reason: "our own session identity")
        }
        #expect(!mine.isEmpty)
        try expectConversationIntact(&harness)
    }

    @Test("an acknowledgement naming another run of ours acknowledges nothing of this run")
    func staleAcknowledgement() throws {
        var harness = try aliceTalkingToBob()
        let previousRunOfAlice = SessionID(rawValue: Harness.alice.rawValue - 0x10000)
        harness.receive(Harness.fromBob(.ack, ack: 3, to: previousRunOfAlice))
        harness.receive(Harness.fromBob(.ack, ack: 0, sack: [SequenceRange(single: 2), SequenceRange(single: 3)], to: nil))
        #expect(harness.session.unacknowledgedSegments == 3)
        #expect(harness.session.statistics.acknowledged == 0)
        // The same acknowledgement naming this run counts.
        harness.receive(Harness.fromBob(.ack, ack: 3))
        #expect(harness.session.unacknowledgedSegments == 0)
    }

    @Test("a PING addressed to another run of ours is not answered")
    func pingForAnotherRun() throws {
        var harness = try aliceTalkingToBob()
        let previousRunOfAlice = SessionID(rawValue: Harness.alice.rawValue - 0x10000)
        harness.expectRejected(Harness.fromBob(.ping, timestamp: 77, to: previousRunOfAlice), reason: "another run")
    }

    @Test("until a run is proven, replies to it stay within 3× what it sent")
    func amplificationLimit() throws {
        var harness = Harness(strangers: true)
        // A forger, first to speak, leaves holes so that every acknowledgement could list many runs.
        let forged = SessionID(startMilliseconds: Harness.bob.startMilliseconds, random: 99)
        var received = 0
        var sent = 0
        for index in UInt64(0)..<300 {
            let bytes = Harness.fromBob(.data, sequence: 2 + 2 * index, body: Array("x".utf8), session: forged,
                                        to: nil)
            received += bytes.count
            harness.receive(bytes)
            sent += harness.transmits().reduce(0) { $0 + $1.bytes.count }
            #expect(sent <= 3 * received, "after \(index + 1) datagrams: \(sent) bytes sent for \(received)")
        }
        #expect(sent > 0)
    }

    @Test("a forged PONG measures nothing; a real one measures exactly the time since its PING left")
    func roundTripPoisoning() throws {
        var harness = Harness(keepStartPing: true)
        let ping = try #require(try harness.sent().first)
        harness.now = harness.now + .milliseconds(30)
        for forged: UInt64 in [0, 12345, UInt64(harness.now.microseconds)] {
            harness.receive(Harness.fromBob(.pong, echo: forged))
        }
        #expect(harness.session.roundTripEstimate.smoothed == nil)
        harness.receive(Harness.fromBob(.pong, echo: ping.timestamp ?? 0))
        #expect(harness.session.roundTripEstimate.smoothed == .milliseconds(30))
        // The same PONG again is not a second sample.
        harness.now = harness.now + .seconds(20)
        harness.receive(Harness.fromBob(.pong, echo: ping.timestamp ?? 0))
        #expect(harness.session.roundTripEstimate.latest == .milliseconds(30))
    }

    @Test("Karn's rule: the acknowledgement of a replayed segment gives no round-trip sample")
    func karn() throws {
        var harness = Harness(strangers: true)
        harness.session.believe(Harness.bob, now: harness.now)  // bob is the other side
        let before = harness.session.roundTripEstimate
        try harness.submit("lost once")
        #expect(try harness.sent().map(\.kind) == [.data])
        try harness.fireNextTimeout()  // the retransmission timer replays it
        #expect(try harness.sent().contains { $0.kind == .resend })
        harness.now = harness.now + .seconds(3)
        harness.receive(Harness.fromBob(.ack, ack: 1))
        #expect(harness.session.unacknowledgedSegments == 0)
        #expect(harness.session.roundTripEstimate == before)  // 3 s after it left, and not one sample
    }

    @Test("hostile numbers never trap: counts stay within what was sent", arguments: 0..<20)
    func hostileNumbers(seed: UInt64) throws {
        var harness = try aliceTalkingToBob()
        var random = SeededGenerator(seed: seed)
        let extremes: [UInt64] = [0, 1, 2, 3, 4, 4096, 4097, 1 << 32, (1 << 53) - 1, 1 << 53]
        for _ in 0..<500 {
            let pick = { extremes.randomElement(using: &random) ?? 0 }
            let kind = [DatagramKind.data, .resend, .ack, .ping, .pong, .bye].randomElement(using: &random) ?? .ack
            let carries = kind.carriesSegment
            let lower = max(1, pick())
            harness.receive(Harness.fromBob(
                kind, sequence: carries ? max(1, pick()) : nil, ack: pick(),
                sack: Bool.random(using: &random) ? [SequenceRange(lower: lower, upper: max(lower, pick())) ?? .init(single: 1)] : [],
                base: max(1, pick()), transmission: kind == .resend ? 2 : nil,
                timestamp: kind == .ping ? pick() : nil, echo: kind == .pong ? pick() : nil,
                body: carries ? Array("x".utf8) : []))
            _ = harness.transmits()
            _ = harness.shown()
            _ = harness.events()
            #expect(harness.session.unacknowledgedSegments <= 3)
            #expect(harness.session.statistics.acknowledged <= 3)
        }
    }
}

/// What an attacker who can read the traffic (and so knows both session identities) can still do: no check on
/// numbers can tell its datagrams from the other side's. These pin today's behaviour precisely, as
/// docs/RELIABILITY.md describes it; authenticated datagrams (PEER/2) close them, and these tests will then be
/// turned around.
struct SniffingAttackerTests {
    @Test("a forged acknowledgement naming both real identities makes alice forget lines bob never got")
    func preemptiveAcknowledgement() throws {
        var harness = Harness()
        for index in 1...8 { try harness.submit("line \(index)") }
        _ = harness.transmits()  // all eight are lost on the way, say
        harness.receive(Harness.fromBob(.ack, ack: 8))  // sid=bob, to=alice: indistinguishable from bob's
        #expect(harness.session.unacknowledgedSegments == 0)
        try harness.submit("line 9")
        let next = try harness.sent().first { $0.kind == .data }
        #expect(next?.base == 9)  // bob, restarting, would resume at 9: lines 1–8 are gone for good
    }

    @Test("forged segments inside the window take the place of bob's real ones")
    func inWindowForgery() throws {
        var harness = Harness()
        harness.receive(Harness.data(1, "forged words"))
        #expect(harness.shown() == ["bob#1: forged words"])
        harness.receive(Harness.data(1, "bob's real line 1"))
        #expect(harness.shown().isEmpty)  // a duplicate now
    }
}

extension HostileSenderTests {
    @Test("a flood of forged claims, each challenged, does not push out the heartbeat that proves the real run")
    func challengesDoNotEvictHeartbeats() throws {
        var harness = Harness(keepStartPing: true)
        let ping = try #require(try harness.sent().first)
        harness.receive(Harness.fromBob(.ping, timestamp: 1, to: nil))  // bob, first contact, not yet proven
        _ = harness.transmits()
        for index in 0..<50 {
            harness.now = harness.now + .milliseconds(300)
            let forged = SessionID(startMilliseconds: Harness.bob.startMilliseconds + 1000, random: UInt16(index))
            harness.receive(Harness.fromBob(.ping, timestamp: 1, session: forged, to: nil))
            _ = harness.transmits()
        }
        #expect(harness.session.statistics.challenges >= 50)
        harness.receive(Harness.fromBob(.pong, echo: ping.timestamp ?? 0))
        #expect(harness.session.roundTripEstimate.smoothed != nil)
    }
}
