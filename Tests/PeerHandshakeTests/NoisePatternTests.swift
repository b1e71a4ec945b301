import PeerHandshake
import Testing

/// The patterns are the specification's (revision 34, §7.5 and §9), written out here token by token.
struct NoisePatternTests {
    @Test("each pattern's tokens and pre-messages, as the specification writes them")
    func tokens() {
        #expect(NoisePattern.XX.messages == [[.e], [.e, .ee, .s, .es], [.s, .se]])
        #expect(NoisePattern.IK.responderPreMessage == [.s] && NoisePattern.IK.initiatorPreMessage.isEmpty)
        #expect(NoisePattern.IK.messages == [[.e, .es, .s, .ss], [.e, .ee, .se]])
        #expect(NoisePattern.NN.messages == [[.e], [.e, .ee]])
        #expect(NoisePattern.XXpsk3.messages == [[.e], [.e, .ee, .s, .es], [.s, .se, .psk]])
        #expect(NoisePattern.XXpsk0.messages == [[.psk, .e], [.e, .ee, .s, .es], [.s, .se]])
        #expect(NoisePattern.IKpsk2.messages == [[.e, .es, .s, .ss], [.e, .ee, .se, .psk]])
        #expect(NoisePattern.NNpsk0.messages == [[.psk, .e], [.e, .ee]])
    }

    @Test("names, protocol names and lookup")
    func names() {
        #expect(NoisePattern.all.map(\.name) == ["XX", "IK", "NN", "XXpsk3", "XXpsk0", "IKpsk2", "NNpsk0"])
        #expect(NoisePattern.XXpsk3.protocolName == "Noise_XXpsk3_25519_ChaChaPoly_BLAKE2s")
        for pattern in NoisePattern.all { #expect(NoisePattern.named(pattern.name) == pattern) }
        #expect(NoisePattern.named("KK") == nil)
        #expect(NoisePattern.all.filter(\.usesPreSharedKey).map(\.name) == ["XXpsk3", "XXpsk0", "IKpsk2", "NNpsk0"])
    }

    @Test("no pattern has an e in a pre-message (the handshake does not support one)")
    func noEphemeralPreMessage() {
        for pattern in NoisePattern.all {
            #expect(!(pattern.initiatorPreMessage + pattern.responderPreMessage).contains(.e))
        }
    }
}
