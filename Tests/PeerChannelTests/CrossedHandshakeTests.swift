@testable import PeerChannel
import PeerCrypto
import PeerSession
import PeerWire
import Testing

/// Two handshakes that cross (each side dialing the other at once, as two group members introduced to each other
/// do): ours stops when theirs gives both sides keys first, and the response to ours, still on its way, is expected.
struct CrossedHandshakeTests {
    @Test("an initiation stopped because the other side's handshake finished first still owns its index")
    func settledInitiationStillOwnsItsIndex() throws {
        let session = SessionConfiguration(name: "carol", sessionID: SessionID(startMilliseconds: 5, random: 3))
        var channel = SecureChannel(configuration: ChannelConfiguration(session: session,
                                                                        staticKey: X25519.newPrivateKey()), now: .zero)
        channel.initiate(now: .zero)
        let index = try #require(channel.initiation?.index)
        #expect(channel.owns(index: index))
        channel.settle()
        #expect(channel.initiation == nil)
        // A group endpoint routes the response by this index: without it, the response was refused as forged
        // ("response for keys or a handshake we do not have") at every first join where two members crossed.
        #expect(channel.owns(index: index))
        var response: [UInt8] = [SealedFraming.Kind.response.rawValue]
        response.appendBigEndian(index)
        response += [UInt8](repeating: 7, count: 32 + 48 + 16 + 16)
        response.withUnsafeBytes { channel.receive($0, now: .zero + .milliseconds(5)) }
        var events: [Event] = []
        while let event = channel.pollEvent() { events.append(event) }
        #expect(events.contains { if case .handshake("unneeded-response", .incoming, _) = $0 { true } else { false } })
        #expect(!events.contains { if case .reject = $0 { true } else { false } }, "\(events)")
    }
}
