import PeerChannel
import PeerCrypto
import PeerSession
import PeerWire
import Testing

/// Exhaustive tampering with real sealed datagrams: every bit of every byte of a handshake message and of a
/// transport datagram, flipped one at a time, into a copy of the receiving channel. None is taken, none shows
/// a line; the genuine datagram is still taken afterwards.
struct SealedDatagramTamperingTests {
    /// Collects what a channel hands out.
    struct Collector: CoreSink {
        var events: [Event] = []
        var shown: [String] = []
        var sent: [[UInt8]] = []
        mutating func log(_ event: Event) { events.append(event) }
        mutating func show(_ delivery: Delivery) { shown.append(delivery.text) }
        mutating func send(_ transmit: Transmit) { sent.append(transmit.bytes) }
    }

    static let now = Instant(microseconds: 1_000_000)

    static func channel(_ name: String, run: UInt64) -> SecureChannel {
        let session = SessionConfiguration(name: name, sessionID: SessionID(rawValue: run))
        return SecureChannel(configuration: ChannelConfiguration(session: session, staticKey: X25519.newPrivateKey()),
                             now: now)
    }

    static func drain(_ channel: inout SecureChannel) -> Collector {
        var collector = Collector()
        CoreDriver.drain(&channel, now: now, into: &collector)
        return collector
    }

    /// Calls `body` with every copy of `datagram` that has exactly one bit flipped.
    static func forEachFlip(of datagram: [UInt8], _ body: (_ index: Int, _ bit: Int, _ tampered: [UInt8]) -> Void) {
        for index in datagram.indices {
            for bit in 0..<8 {
                var tampered = datagram
                tampered[index] ^= UInt8(1) << UInt8(bit)
                body(index, bit, tampered)
            }
        }
    }

    /// Alice's initiation, and the two channels after a full exchange (both hold keys).
    static func established() -> (alice: SecureChannel, bob: SecureChannel, aliceInitiation: [UInt8]) {
        var alice = channel("alice", run: 1)
        var bob = channel("bob", run: 2)
        let initiation = drain(&alice).sent
        _ = drain(&bob)  // bob's own initiation: not delivered, so alice's handshake is the one that completes
        var toAlice: [[UInt8]] = []
        var toBob = initiation
        for _ in 0..<6 {
            for datagram in toBob { datagram.withUnsafeBytes { bob.receive($0, now: now) } }
            toAlice = drain(&bob).sent
            toBob = []
            for datagram in toAlice { datagram.withUnsafeBytes { alice.receive($0, now: now) } }
            toBob = drain(&alice).sent
        }
        return (alice, bob, initiation.first ?? [])
    }

    @Test("every bit of a sealed transport datagram flipped: refused, nothing shown; the genuine one is taken")
    func transportDatagram() throws {
        var (alice, bob, _) = Self.established()
        try alice.submit("the secret is 42", now: Self.now)
        let sent = Self.drain(&alice).sent
        let data = try #require(sent.first { $0.first == 4 || $0.first == 5 })
        Self.forEachFlip(of: data) { index, bit, tampered in
            var copy = bob
            tampered.withUnsafeBytes { copy.receive($0, now: Self.now) }
            let out = Self.drain(&copy)
            #expect(out.shown.isEmpty, "byte \(index) bit \(bit)")
            #expect(out.events.contains { if case .reject = $0 { true } else { false } }, "byte \(index) bit \(bit)")
            #expect(copy.statistics.messagesDelivered == 0)
        }
        data.withUnsafeBytes { bob.receive($0, now: Self.now) }
        #expect(Self.drain(&bob).shown == ["the secret is 42"])
        // And again: a replay of the genuine datagram is refused.
        data.withUnsafeBytes { bob.receive($0, now: Self.now) }
        let replayed = Self.drain(&bob)
        #expect(replayed.shown.isEmpty)
        #expect(replayed.events.contains { if case .reject(let reason, _) = $0 { reason.contains("replay") } else { false } })
    }

    @Test("every bit of a response and of a finish flipped: no keys installed, nothing secured")
    func handshakeMessages() throws {
        var alice = Self.channel("alice", run: 1)
        var bob = Self.channel("bob", run: 2)
        let initiation = try #require(Self.drain(&alice).sent.first)
        _ = Self.drain(&bob)
        initiation.withUnsafeBytes { bob.receive($0, now: Self.now) }
        let response = try #require(Self.drain(&bob).sent.first { $0.first == 2 })
        Self.forEachFlip(of: response) { index, bit, tampered in
            var copy = alice
            tampered.withUnsafeBytes { copy.receive($0, now: Self.now) }
            let out = Self.drain(&copy)
            #expect(!out.events.contains { if case .secured = $0 { true } else { false } }, "response byte \(index)")
            #expect(!out.sent.contains { $0.first == 3 }, "no finish for a tampered response, byte \(index)")
        }
        response.withUnsafeBytes { alice.receive($0, now: Self.now) }
        let finish = try #require(Self.drain(&alice).sent.first { $0.first == 3 })
        Self.forEachFlip(of: finish) { index, bit, tampered in
            var copy = bob
            tampered.withUnsafeBytes { copy.receive($0, now: Self.now) }
            let out = Self.drain(&copy)
            #expect(!out.events.contains { if case .secured = $0 { true } else { false } }, "finish byte \(index)")
        }
        finish.withUnsafeBytes { bob.receive($0, now: Self.now) }
        #expect(Self.drain(&bob).events.contains { if case .secured = $0 { true } else { false } })
    }

    @Test("an initiation with any bit flipped is either answered as a new handshake or refused; never a crash")
    func initiation() {
        let (_, bob, initiation) = Self.established()
        Self.forEachFlip(of: initiation) { index, bit, tampered in
            var copy = bob
            tampered.withUnsafeBytes { copy.receive($0, now: Self.now) }
            let out = Self.drain(&copy)
            // Message 1 of XX is not authenticated: a changed `e` is simply another initiation, answered within
            // the allowance; it can never complete without the initiator's private key.
            #expect(out.shown.isEmpty)
            #expect(!out.events.contains { if case .secured = $0 { true } else { false } })
        }
    }
}

/// Whoever starts second is not kept waiting: an initiation from the other side makes a backed-off initiation of
/// ours go again at once (within the allowance, at most once per 100 ms).
struct LateStarterTests {
    typealias Drive = SealedDatagramTamperingTests

    @Test("an initiation from the other side sends ours again at once, not after our backoff")
    func initiationHurried() throws {
        var alice = Drive.channel("alice", run: 1)
        _ = Drive.drain(&alice)  // alice's first initiation, lost: bob is not running
        // Alice backs off while nobody answers: 200 ms, then 400 ms, then 800 ms.
        var now = Drive.now
        for step in [200, 400, 800] {
            now = now + .milliseconds(Int64(step))
            alice.handleTimeout(now: now)
            _ = drainAt(&alice, now)
        }
        // Bob starts and sends his initiation; alice answers it and sends hers again in the same breath.
        var bob = Drive.channel("bob", run: 2)
        let bobsInitiation = try #require(Drive.drain(&bob).sent.first)
        now = now + .milliseconds(300)  // alice's next try would be 1.5 s after her last
        bobsInitiation.withUnsafeBytes { alice.receive($0, now: now) }
        let answer = drainAt(&alice, now)
        #expect(answer.sent.map { $0.first } == [2, 1], "a response, then alice's own initiation")
        // Bob repeats his initiation 50 ms later: the same response, but alice's own does not go again yet.
        bobsInitiation.withUnsafeBytes { alice.receive($0, now: now + .milliseconds(50)) }
        #expect(drainAt(&alice, now + .milliseconds(50)).sent.map { $0.first } == [2])
    }

    private func drainAt(_ channel: inout SecureChannel, _ now: Instant) -> Drive.Collector {
        var collector = Drive.Collector()
        CoreDriver.drain(&channel, now: now, into: &collector)
        return collector
    }
}
