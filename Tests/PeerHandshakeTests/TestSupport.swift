import Foundation
import PeerCrypto
import PeerHandshake

/// Lower-case hex of `bytes`.
func hex(_ bytes: [UInt8]) -> String {
    bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
}

/// The bytes of a lower-case or upper-case hex string, or nil if it is not hex.
func bytes(hex: String) -> [UInt8]? {
    let digits = Array(hex.utf8)
    guard digits.count % 2 == 0 else { return nil }
    var result: [UInt8] = []
    var index = 0
    while index < digits.count {
        let pair = String(decoding: digits[index..<index + 2], as: UTF8.self)
        guard let byte = UInt8(pair, radix: 16) else { return nil }
        result.append(byte)
        index += 2
    }
    return result
}

/// A small deterministic generator (SplitMix64), so a failing seed can be replayed exactly.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }

    mutating func bytes(_ count: Int) -> [UInt8] {
        (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &self) }
    }
}

/// The keys of both sides of one handshake, drawn from a seed.
struct HandshakeKeys {
    var initiatorStatic: [UInt8]
    var responderStatic: [UInt8]
    var initiatorEphemeral: [UInt8]
    var responderEphemeral: [UInt8]
    var psk: [UInt8]

    init(seed: UInt64) {
        var generator = SeededGenerator(seed: seed)
        initiatorStatic = generator.bytes(32)
        responderStatic = generator.bytes(32)
        initiatorEphemeral = generator.bytes(32)
        responderEphemeral = generator.bytes(32)
        psk = generator.bytes(32)
    }

    /// The two sides of `pattern`, each given exactly the keys the pattern uses.
    func pair(_ pattern: NoisePattern, prologue: [UInt8] = [], responderPSK: [UInt8]? = nil,
              fixedEphemerals: Bool = true) throws -> (initiator: NoiseHandshake, responder: NoiseHandshake) {
        let usesPSK = pattern.usesPreSharedKey
        let initiator = try NoiseHandshake(
            pattern: pattern, initiator: true, prologue: prologue,
            staticKey: pattern.name.hasPrefix("N") ? nil : initiatorStatic,
            remoteStaticKey: pattern.responderPreMessage.contains(.s)
                ? X25519.publicKey(privateKey: responderStatic) : nil,
            psk: usesPSK ? psk : nil, ephemeralKey: fixedEphemerals ? initiatorEphemeral : nil)
        let responder = try NoiseHandshake(
            pattern: pattern, initiator: false, prologue: prologue,
            staticKey: pattern.name.dropFirst().hasPrefix("N") ? nil : responderStatic,
            psk: usesPSK ? (responderPSK ?? psk) : nil, ephemeralKey: fixedEphemerals ? responderEphemeral : nil)
        return (initiator, responder)
    }
}

/// A whole handshake run honestly: every message, and each side's state just before it read each message.
struct HandshakeTranscript {
    var messages: [[UInt8]] = []
    var payloads: [[UInt8]] = []
    /// `receiversBefore[i]` is the receiver of message i just before reading it.
    var receiversBefore: [NoiseHandshake] = []
    /// `sendersAfter[i]` is the sender of message i just after writing it.
    var sendersAfter: [NoiseHandshake] = []
    var initiator: NoiseHandshake
    var responder: NoiseHandshake

    init(_ pattern: NoisePattern, keys: HandshakeKeys, payloads: [[UInt8]], prologue: [UInt8] = []) throws {
        (initiator, responder) = try keys.pair(pattern, prologue: prologue)
        for index in pattern.messages.indices {
            let payload = index < payloads.count ? payloads[index] : []
            let message: [UInt8]
            if index % 2 == 0 {
                message = try initiator.writeMessage(payload: payload)
                sendersAfter.append(initiator)
                receiversBefore.append(responder)
                _ = try responder.readMessage(message)
            } else {
                message = try responder.writeMessage(payload: payload)
                sendersAfter.append(responder)
                receiversBefore.append(initiator)
                _ = try initiator.readMessage(message)
            }
            messages.append(message)
            self.payloads.append(payload)
        }
    }
}

extension NoisePattern {
    /// True when message `index`'s payload is sealed: a key exists before it, from a DH or psk token, or (in psk
    /// patterns, where `e` also does MixKey) from an `e`. Then any change to the message fails its tag. Derived
    /// from the tokens alone, not from the code under test.
    func sealsPayload(message index: Int) -> Bool {
        messages.prefix(index + 1).joined().contains { $0 != .e && $0 != .s || ($0 == .e && usesPreSharedKey) }
    }

    /// The index of the first message that mixes the psk, or nil.
    var firstPSKMessage: Int? { messages.firstIndex { $0.contains(.psk) } }
}
