import Foundation
import PeerCrypto
import PeerHandshake
import Testing

/// Whole handshakes against Noise test vectors: the 8 `_BLAKE2s` vectors of shared/vectors/noise.json (copied to
/// `Vectors/noise.json`) and XXpsk0 / IKpsk2 made by `Vectors/generate-extra.py` with the same oracle
/// (noiseprotocol 0.3.1, which reproduces cacophony's published vectors), in `Vectors/noise-extra.json`.
struct NoiseVectorTests {
    struct Message: Sendable {
        var payload: [UInt8]
        var ciphertext: [UInt8]
    }

    struct Vector: Sendable, CustomTestStringConvertible {
        var protocolName: String
        var variant: String
        var prologue: [UInt8]
        var psk: [UInt8]?
        var initiatorStatic: [UInt8]?
        var responderStatic: [UInt8]?
        var initiatorEphemeral: [UInt8]
        var responderEphemeral: [UInt8]
        var initiatorRemoteStatic: [UInt8]?
        var handshakeHash: [UInt8]
        var handshakeMessageCount: Int
        var messages: [Message]
        var initiatorToResponderKey: [UInt8]
        var responderToInitiatorKey: [UInt8]
        var testDescription: String { "\(protocolName) variant \(variant)" }
    }

    static func load(_ file: String) -> [Vector] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Vectors/\(file)")
        guard let data = try? Data(contentsOf: url),
              let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let entries = root["vectors"] as? [[String: Any]]
        else { return [] }
        return entries.compactMap { entry in
            func field(_ name: String) -> [UInt8]? { (entry[name] as? String).flatMap(bytes(hex:)) }
            guard let name = entry["protocol_name"] as? String,
                  let extra = entry["extra"] as? [String: Any],
                  let variant = extra["variant"] as? String,
                  let count = extra["handshake_message_count"] as? Int,
                  let prologue = field("init_prologue"), field("resp_prologue") == prologue,
                  let initiatorEphemeral = field("init_ephemeral"), let responderEphemeral = field("resp_ephemeral"),
                  let hash = field("handshake_hash"),
                  let forward = (extra["transport_key_initiator_to_responder"] as? String).flatMap(bytes(hex:)),
                  let backward = (extra["transport_key_responder_to_initiator"] as? String).flatMap(bytes(hex:)),
                  let rawMessages = entry["messages"] as? [[String: String]]
            else { return nil }
            let psks = (entry["init_psks"] as? [String])?.compactMap(bytes(hex:))
            guard psks == (entry["resp_psks"] as? [String])?.compactMap(bytes(hex:)), (psks?.count ?? 1) == 1
            else { return nil }
            let messages = rawMessages.compactMap { message -> Message? in
                guard let payload = message["payload"].flatMap(bytes(hex:)),
                      let ciphertext = message["ciphertext"].flatMap(bytes(hex:))
                else { return nil }
                return Message(payload: payload, ciphertext: ciphertext)
            }
            guard messages.count == rawMessages.count else { return nil }
            return Vector(protocolName: name, variant: variant, prologue: prologue, psk: psks?.first,
                          initiatorStatic: field("init_static"), responderStatic: field("resp_static"),
                          initiatorEphemeral: initiatorEphemeral, responderEphemeral: responderEphemeral,
                          initiatorRemoteStatic: field("init_remote_static"), handshakeHash: hash,
                          handshakeMessageCount: count, messages: messages,
                          initiatorToResponderKey: forward, responderToInitiatorKey: backward)
        }
    }

    static let vectors = load("noise.json") + load("noise-extra.json")

    /// The pattern a protocol name names, e.g. `XXpsk3` in `Noise_XXpsk3_25519_ChaChaPoly_BLAKE2s`.
    static func pattern(of protocolName: String) -> NoisePattern? {
        let parts = protocolName.split(separator: "_")
        guard parts.count == 5 else { return nil }
        return NoisePattern.named(String(parts[1]))
    }

    @Test("every vector file is there and parsed: 4 protocols × 2 variants from shared, 2 × 2 generated")
    func vectorsPresent() {
        #expect(Self.load("noise.json").count == 8)
        #expect(Self.load("noise-extra.json").count == 4)
        let names = Set(Self.vectors.map(\.protocolName))
        #expect(names == [
            "Noise_XX_25519_ChaChaPoly_BLAKE2s", "Noise_IK_25519_ChaChaPoly_BLAKE2s",
            "Noise_XXpsk3_25519_ChaChaPoly_BLAKE2s", "Noise_NNpsk0_25519_ChaChaPoly_BLAKE2s",
            "Noise_XXpsk0_25519_ChaChaPoly_BLAKE2s", "Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s",
        ])
        for vector in Self.vectors {
            #expect(Self.pattern(of: vector.protocolName)?.protocolName == vector.protocolName)
        }
    }

    @Test("handshake and transport byte for byte, both sides", arguments: vectors)
    func vector(_ vector: Vector) throws {
        let pattern = try #require(Self.pattern(of: vector.protocolName))
        #expect(pattern.messages.count == vector.handshakeMessageCount)
        var initiator = try NoiseHandshake(pattern: pattern, initiator: true, prologue: vector.prologue,
                                           staticKey: vector.initiatorStatic,
                                           remoteStaticKey: vector.initiatorRemoteStatic, psk: vector.psk,
                                           ephemeralKey: vector.initiatorEphemeral)
        var responder = try NoiseHandshake(pattern: pattern, initiator: false, prologue: vector.prologue,
                                           staticKey: vector.responderStatic, psk: vector.psk,
                                           ephemeralKey: vector.responderEphemeral)
        for (index, message) in vector.messages.prefix(vector.handshakeMessageCount).enumerated() {
            let written: [UInt8]
            let read: [UInt8]
            if index % 2 == 0 {
                written = try initiator.writeMessage(payload: message.payload)
                read = try responder.readMessage(message.ciphertext)
            } else {
                written = try responder.writeMessage(payload: message.payload)
                read = try initiator.readMessage(message.ciphertext)
            }
            #expect(hex(written) == hex(message.ciphertext), "handshake message \(index + 1) as written")
            #expect(read == message.payload, "handshake message \(index + 1) as read")
        }
        #expect(initiator.isComplete && responder.isComplete)
        #expect(hex(initiator.handshakeHash) == hex(vector.handshakeHash))
        #expect(hex(responder.handshakeHash) == hex(vector.handshakeHash))
        if let initiatorStatic = vector.initiatorStatic, pattern.name.first != "N" {
            #expect(responder.remoteStaticKey == X25519.publicKey(privateKey: initiatorStatic))
        }
        if let responderStatic = vector.responderStatic {
            #expect(initiator.remoteStaticKey == X25519.publicKey(privateKey: responderStatic))
        }

        // Split's keys are HKDF(ck, empty, 2): the same on both sides and the oracle's.
        var (initiatorSend, initiatorReceive) = initiator.split()
        var (responderReceive, responderSend) = responder.split()
        #expect(initiatorSend.keyBytes == vector.initiatorToResponderKey)
        #expect(initiatorReceive.keyBytes == vector.responderToInitiatorKey)
        #expect(responderReceive.keyBytes == vector.initiatorToResponderKey)
        #expect(responderSend.keyBytes == vector.responderToInitiatorKey)

        let transport = vector.messages.dropFirst(vector.handshakeMessageCount)
        #expect(transport.count == 6)
        for (index, message) in zip(vector.handshakeMessageCount..., transport) {
            let written: [UInt8]
            let read: [UInt8]
            if index % 2 == 0 {
                written = try initiatorSend.encrypt(plaintext: message.payload)
                read = try responderReceive.decrypt(ciphertext: message.ciphertext)
            } else {
                written = try responderSend.encrypt(plaintext: message.payload)
                read = try initiatorReceive.decrypt(ciphertext: message.ciphertext)
            }
            #expect(hex(written) == hex(message.ciphertext), "transport message \(index + 1) as written")
            #expect(read == message.payload, "transport message \(index + 1) as read")
        }
        #expect(initiatorSend.nonce == 3 && responderSend.nonce == 3)
    }

    @Test("a transport message sealed with an explicit nonce is the counter's", arguments: vectors.prefix(1))
    func explicitNonce(_ vector: Vector) throws {
        let forward = try #require(NoiseCipherState(key: vector.initiatorToResponderKey))
        let backward = try #require(NoiseCipherState(key: vector.responderToInitiatorKey))
        let transport = Array(vector.messages.dropFirst(vector.handshakeMessageCount))
        for (index, message) in transport.enumerated() {
            let sender = (vector.handshakeMessageCount + index) % 2 == 0 ? forward : backward
            let nonce = UInt64(index / 2)
            #expect(try sender.seal(nonce: nonce, plaintext: message.payload) == message.ciphertext)
            #expect(try sender.open(nonce: nonce, ciphertext: message.ciphertext) == message.payload)
            #expect(throws: NoiseError.authenticationFailed) {
                try sender.open(nonce: nonce + 1, ciphertext: message.ciphertext)
            }
        }
    }
}
