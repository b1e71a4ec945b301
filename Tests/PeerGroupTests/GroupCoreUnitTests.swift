import PeerChannel
import PeerCrypto
import PeerGroup
import PeerSession
import PeerWire
import Testing

/// One `GroupCore` on its own, fed by hand: what it does with a line nobody can receive, with an introduction
/// that never answers, and with hostile datagrams from strangers.
struct GroupCoreUnitTests {
    static func core(name: String = "alone", peers: [PeerAddress] = []) -> GroupCore {
        let key = X25519.newPrivateKey()
        let session = SessionConfiguration(name: name, sessionID: SessionID(rawValue: 0x1234_5678_9ABC))
        return GroupCore(
            configuration: GroupConfiguration(
                channel: ChannelConfiguration(session: session, staticKey: key, listenPort: 4000),
                publicKey: X25519.publicKey(privateKey: key), peers: peers),
            now: .zero)
    }

    static func drainEvents(_ core: inout GroupCore) -> [Event] {
        var events: [Event] = []
        while let event = core.pollEvent() { events.append(event) }
        return events
    }

    @Test("a line nobody can receive is refused as not sent (so the exit status says so), with a notice")
    func noRecipients() throws {
        var core = Self.core()
        #expect(throws: SubmitError.noRecipients(room: "general")) { try core.submit("anyone?", now: .zero) }
        try core.submit("/join ops", now: .zero)
        #expect(throws: SubmitError.noRecipients(room: "ops")) { try core.submit("anyone in ops?", now: .zero) }
        let notices = Self.drainEvents(&core).compactMap { if case .notice(let text, _) = $0 { text } else { nil } }
        #expect(notices.contains("no one else is here yet: not sent"))
        #expect(notices.contains("no one else is in #ops yet: not sent"))
        #expect(core.statistics.messagesSent == 0)
        // A member we dial is a recipient before it answers: the line waits for it, as between two peers.
        var dialing = Self.core(peers: [PeerAddress(host: "127.0.0.1", port: 4001)])
        try dialing.submit("waits for you", now: .zero)
        #expect(dialing.statistics.messagesSent == 1)
    }

    @Test("a member we dial that never answers is said once, with what to check")
    func unanswered() {
        var core = Self.core(peers: [PeerAddress(host: "127.0.0.1", port: 4001)])
        var now = Instant.zero
        var said: [String] = []
        for _ in 0..<40 {
            guard let deadline = core.nextTimeout() else { break }
            now = max(now, deadline)
            core.handleTimeout(now: now)
            while core.pollTransmit(now: now) != nil {}
            said += Self.drainEvents(&core).compactMap { if case .notice(let text, _) = $0 { text } else { nil } }
        }
        #expect(now > .zero + .seconds(5))
        #expect(said.filter { $0.hasPrefix("no answer yet from 127.0.0.1:4001") }.count == 1, "\(said)")
    }

    @Test("strangers' initiations: port copies that differ are refused before any state; the rest are bounded")
    func strangers() {
        var core = Self.core()
        func initiation(port: UInt16, payloadPort: UInt16, index: UInt8) -> [UInt8] {
            var bytes: [UInt8] = [1, 0, 0, 0, index, UInt8(port >> 8), UInt8(port & 0xFF)]
            bytes += [UInt8](repeating: 9, count: 32)
            bytes += [UInt8(payloadPort >> 8), UInt8(payloadPort & 0xFF)] + [UInt8](repeating: 0, count: 23)
            return bytes
        }
        let mismatched = initiation(port: 5000, payloadPort: 5001, index: 1)
        mismatched.withUnsafeBytes { core.receive($0, from: PeerAddress(host: "10.0.0.9", port: 7000), now: .zero) }
        #expect(core.nextTimeout() == nil, "no member was made for it")
        // Forty well-formed forgeries from forty ports in one second: 8 strangers are taken at their word (each
        // answered with a response); the others are sent a cookie (21 bytes, to the port each named) and no member.
        var sent: [Transmit] = []
        for step in 0..<40 {
            let forged = initiation(port: UInt16(6000 + step), payloadPort: UInt16(6000 + step), index: UInt8(step))
            forged.withUnsafeBytes {
                core.receive($0, from: PeerAddress(host: "10.0.0.9", port: 7000), now: .zero + .milliseconds(Int64(step)))
            }
            while let transmit = core.pollTransmit(now: .zero + .milliseconds(Int64(step))) { sent.append(transmit) }
        }
        let cookieReplies = sent.filter { $0.bytes.first == SealedFraming.Kind.cookieReply.rawValue }
        #expect(sent.filter { $0.bytes.first == SealedFraming.Kind.response.rawValue }.count == 8)
        #expect(cookieReplies.count == 32)
        #expect(cookieReplies.allSatisfy { $0.bytes.count == SealedFraming.cookieReplyBytes })
        #expect(cookieReplies.first?.destination == PeerAddress(host: "10.0.0.9", port: 6008))
        // The 9th comes back with its cookie: it is answered. With the cookie altered, or from another host, it is
        // sent a cookie again.
        let ninth = initiation(port: 6008, payloadPort: 6008, index: 8)
        let cookie = Array(cookieReplies.first?.bytes.dropFirst(5) ?? [])
        var altered = ninth + cookie
        altered[altered.count - 1] ^= 1
        var answers: [[UInt8]] = []
        for (bytes, host) in [(altered, "10.0.0.9"), (ninth + cookie, "10.0.0.10"), (ninth + cookie, "10.0.0.9")] {
            bytes.withUnsafeBytes {
                core.receive($0, from: PeerAddress(host: host, port: 7000), now: .zero + .milliseconds(50))
            }
            while let transmit = core.pollTransmit(now: .zero + .milliseconds(50)) { answers.append(transmit.bytes) }
        }
        #expect(answers.map(\.first) == [SealedFraming.Kind.cookieReply.rawValue, SealedFraming.Kind.cookieReply.rawValue,
                                         SealedFraming.Kind.response.rawValue])
        #expect(core.roster(now: .zero + .seconds(1)).isEmpty, "strangers are not members until their handshake completes")
        // Ten seconds later every one of them is gone.
        core.handleTimeout(now: .zero + .seconds(11))
        #expect(core.nextTimeout() == nil)
    }

    @Test("a datagram of another kind from a stranger changes nothing and is refused in the channel's words")
    func hostileKinds() {
        var core = Self.core()
        for bytes: [UInt8] in [[], [0x50, 0x45, 0x45, 0x52], [4, 1, 2, 3, 4, 0, 0, 0, 0] + [UInt8](repeating: 0, count: 20),
                               [9, 9, 9], [2, 1]] {
            bytes.withUnsafeBytes { core.receive($0, from: PeerAddress(host: "10.0.0.9", port: 7000), now: .zero) }
        }
        let reasons = Self.drainEvents(&core).compactMap { if case .reject(let reason, _) = $0 { reason } else { nil } }
        #expect(reasons.count == 5)
        #expect(reasons.contains { $0.contains("PEER/1") })
        #expect(reasons.contains { $0.contains("for keys or a handshake we do not have") })
        #expect(reasons.contains { $0.contains("not a PEER/2 datagram") })
        #expect(core.statistics.rejected == 5)
        #expect(core.nextTimeout() == nil)
    }
}
