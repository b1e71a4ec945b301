/// A Noise handshake pattern (revision 34, §7): what each side knows before the first message (pre-messages)
/// and the tokens of every message, in order.
///
/// The patterns are the named constants below, each exactly as the specification writes it; `psk` modifiers are
/// applied as §9 says (`psk0` at the start of the first message, `pskN` at the end of message N). Message `i`
/// (from 0) is sent by the initiator when `i` is even and by the responder when it is odd.
public struct NoisePattern: Sendable, Equatable, CustomStringConvertible {
    /// One step of a message pattern (§7.1).
    public enum Token: String, Sendable, Equatable, CaseIterable {
        /// The sender's ephemeral public key, in clear.
        case e
        /// The sender's static public key, encrypted once a key exists.
        case s
        /// MixKey(DH(initiator's ephemeral, responder's ephemeral)).
        case ee
        /// MixKey(DH(initiator's ephemeral, responder's static)).
        case es
        /// MixKey(DH(initiator's static, responder's ephemeral)).
        case se
        /// MixKey(DH(initiator's static, responder's static)).
        case ss
        /// MixKeyAndHash(pre-shared key).
        case psk
    }

    /// The pattern's name as it appears in the protocol name, e.g. `XXpsk3`.
    public let name: String
    /// Keys the responder knows of the initiator before the handshake (only `s` is used here).
    public let initiatorPreMessage: [Token]
    /// Keys the initiator knows of the responder before the handshake (`s` for IK).
    public let responderPreMessage: [Token]
    /// The tokens of each handshake message, in the order they are sent.
    public let messages: [[Token]]

    /// True when a `psk` token appears: then every `e` token also does MixKey(e) (§9.2).
    public var usesPreSharedKey: Bool { messages.contains { $0.contains(.psk) } }

    /// The full protocol name hashed into the handshake, e.g. `Noise_XX_25519_ChaChaPoly_BLAKE2s`.
    public var protocolName: String { "Noise_\(name)_25519_ChaChaPoly_BLAKE2s" }

    /// The pattern name.
    public var description: String { name }

    /// Three messages, both static keys sent encrypted: for peers that know nothing of each other yet.
    public static let XX = NoisePattern(name: "XX", messages: [[.e], [.e, .ee, .s, .es], [.s, .se]])
    /// Two messages, the initiator already knows the responder's static key: identity hidden from passive
    /// observers and a 0-RTT-authenticated first payload.
    public static let IK = NoisePattern(name: "IK", responderPreMessage: [.s],
                                        messages: [[.e, .es, .s, .ss], [.e, .ee, .se]])
    /// Ephemeral keys only, no authentication of either side (used here only with a psk).
    public static let NN = NoisePattern(name: "NN", messages: [[.e], [.e, .ee]])
    /// XX with the pre-shared key mixed at the end of the third message (§9.4's recommended place for XX).
    public static let XXpsk3 = XX.addingPreSharedKey(at: 3)
    /// XX with the pre-shared key mixed first: without it, not even the first message is accepted.
    public static let XXpsk0 = XX.addingPreSharedKey(at: 0)
    /// IK with the pre-shared key mixed at the end of the second message (as WireGuard does).
    public static let IKpsk2 = IK.addingPreSharedKey(at: 2)
    /// NN with the pre-shared key mixed first.
    public static let NNpsk0 = NN.addingPreSharedKey(at: 0)

    /// Every pattern this module defines.
    public static let all: [NoisePattern] = [XX, IK, NN, XXpsk3, XXpsk0, IKpsk2, NNpsk0]

    private init(name: String, initiatorPreMessage: [Token] = [], responderPreMessage: [Token] = [],
                 messages: [[Token]]) {
        self.name = name
        self.initiatorPreMessage = initiatorPreMessage
        self.responderPreMessage = responderPreMessage
        self.messages = messages
    }

    /// The `pskN` modifier (§9.2): `psk0` puts a `psk` token at the start of the first message, `pskN` (N ≥ 1)
    /// at the end of message N. A second modifier is written `+pskN` in the name.
    /// - Precondition: `position` is 0...messages.count (our own constants only).
    private func addingPreSharedKey(at position: Int) -> NoisePattern {
        precondition((0...messages.count).contains(position), "psk position beyond the last message")
        var messages = messages
        if position == 0 {
            messages[0].insert(.psk, at: 0)
        } else {
            messages[position - 1].append(.psk)
        }
        let modifier = usesPreSharedKey ? "+psk\(position)" : "psk\(position)"
        return NoisePattern(name: name + modifier, initiatorPreMessage: initiatorPreMessage,
                            responderPreMessage: responderPreMessage, messages: messages)
    }

    /// The pattern with this name (`XX`, `IKpsk2`, ...), or nil if this module does not define it.
    public static func named(_ name: String) -> NoisePattern? {
        all.first { $0.name == name }
    }
}
