import PeerChannel
import PeerCrypto
import PeerSession
import PeerSimulation
import Testing

/// An attacker on the path sends a peer its own handshake messages back. Found by `peer-fuzz` (target `channel`,
/// input `03 6e 73 61 66 6e 65 4d`: bob's initiation, then bob's answer to it, reflected to bob): XX authenticates
/// the other side's static key, and a peer's own key is a key it holds, so without a check a peer completed a
/// handshake with itself, pinned its own key under its own name, and then refused the real peer as "another
/// peer" — two reflected datagrams, and the conversation could not start.
struct ReflectionTests {
    @Test("a peer's own handshake messages sent back to it complete nothing; the real peer is then taken",
          arguments: [false, true])
    func ownHandshakeReflected(preSharedKey: Bool) {
        let key = preSharedKey ? [UInt8](repeating: 0x5C, count: 32) : nil
        let harness = ChannelHarness(preSharedKeys: [key, key])
        let simulation = harness.simulation(seed: 1, conditions: LinkConditions(delay: .milliseconds(2)))
        // Until 300 ms the attacker holds the path: nothing passes, and whatever bob sends is sent back to bob.
        var attacking = true
        var fromBob: [[UInt8]] = []
        simulation.tap = { side, bytes in
            guard attacking else { return [bytes] }
            if side == .b { fromBob.append(bytes) }
            return []
        }
        for round in 1...10 {
            _ = simulation.run(until: .milliseconds(Int64(round * 30)))
            for bytes in fromBob { simulation.inject(bytes, to: .b, at: .milliseconds(Int64(round * 30 + 1))) }
            fromBob = []
        }
        attacking = false
        let fromA = ChannelHarness.messages("a", 5)
        let fromB = ChannelHarness.messages("b", 5)
        for index in 0..<5 {
            simulation.type(fromA[index], from: .a, at: .milliseconds(Int64(310 + 10 * index)))
            simulation.type(fromB[index], from: .b, at: .milliseconds(Int64(312 + 10 * index)))
        }
        simulation.endInput(.a, at: .milliseconds(400))
        simulation.endInput(.b, at: .milliseconds(400))
        let report = simulation.run(until: .seconds(600))

        let ownKey = harness.publicKey(.b)
        let pinnedOwnKey = harness.events(.b).contains { if case .pinned(_, _, ownKey) = $0 { true } else { false } }
        let refused = harness.events(.b).filter { if case .keyRefused = $0 { true } else { false } }
        let securedWith = harness.events(.b).compactMap { if case .secured(let name, _, _) = $0 { name } else { nil } }
        #expect(!pinnedOwnKey, "bob pinned its own key")
        #expect(refused.isEmpty, "bob refused a key: \(refused)")
        #expect(securedWith == ["alice"])
        #expect(harness.rejects(.b).contains { $0.contains("own handshake") }, "the reflection is logged")
        #expect(report[.b].shown == fromA)
        #expect(report[.a].shown == fromB)
    }
}
