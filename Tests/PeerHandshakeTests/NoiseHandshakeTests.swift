import PeerCrypto
import PeerHandshake
import Testing

/// The handshake's behaviour on hostile and unusual input, over every pattern: tampered, cut, extended, replayed
/// and out-of-turn messages, wrong keys, and random payloads over many seeds.
struct NoiseHandshakeTests {
    static let keys = HandshakeKeys(seed: 0x5EED)
    /// Payloads per message: empty, then short, so both "bare tag" and "ciphertext + tag" messages are tampered.
    static let payloadSets: [[[UInt8]]] = [[[], [], []], [Array("one".utf8), Array("two!".utf8), Array("three".utf8)]]

    /// Reads `tampered` where `transcript.messages[index]` belongs and checks the outcome: a message with a
    /// sealed payload must be refused, leaving the reader as it was (it then accepts the genuine message); one
    /// in clear (XX's and NN's first) may be accepted, but then the handshake must fail at the other side's next
    /// read, because the transcript hash differs.
    static func expectRejected(_ tampered: [UInt8], at index: Int, in transcript: HandshakeTranscript,
                               pattern: NoisePattern, what: String) {
        var reader = transcript.receiversBefore[index]
        let before = reader
        do {
            _ = try reader.readMessage(tampered)
        } catch {
            #expect(reader.handshakeHash == before.handshakeHash && reader.messagesDone == before.messagesDone,
                    "\(pattern) message \(index + 1), \(what): state changed by a refused message")
            // The untouched copy still takes the genuine message.
            #expect(throws: Never.self) { _ = try reader.readMessage(transcript.messages[index]) }
            return
        }
        #expect(!pattern.sealsPayload(message: index),
                "\(pattern) message \(index + 1), \(what): a message with a sealed payload was accepted")
        guard index + 1 < pattern.messages.count else { return }
        var sender = transcript.sendersAfter[index]
        do {
            let reply = try reader.writeMessage(payload: [])
            _ = try sender.readMessage(reply)
            Issue.record("\(pattern) message \(index + 1), \(what): handshake went on after a tampered message")
        } catch {}
    }

    @Test("a bit flip anywhere in any handshake message is refused, or breaks the next read",
          arguments: NoisePattern.all)
    func bitFlips(pattern: NoisePattern) throws {
        for payloads in Self.payloadSets {
            let transcript = try HandshakeTranscript(pattern, keys: Self.keys, payloads: payloads,
                                                     prologue: Array("flip".utf8))
            for (index, message) in transcript.messages.enumerated() {
                for byte in message.indices {
                    // Every byte, a different bit each time; every bit of the first and last byte.
                    let bits = byte == 0 || byte == message.count - 1 ? Array(0..<8) : [byte % 8]
                    for bit in bits {
                        var tampered = message
                        tampered[byte] ^= 1 << bit
                        Self.expectRejected(tampered, at: index, in: transcript, pattern: pattern,
                                            what: "bit \(bit) of byte \(byte) flipped")
                    }
                }
            }
        }
    }

    @Test("a cut or extended handshake message is refused, or breaks the next read", arguments: NoisePattern.all)
    func truncationAndExtension(pattern: NoisePattern) throws {
        for payloads in Self.payloadSets {
            let transcript = try HandshakeTranscript(pattern, keys: Self.keys, payloads: payloads)
            for (index, message) in transcript.messages.enumerated() {
                for length in 0..<message.count {
                    Self.expectRejected(Array(message.prefix(length)), at: index, in: transcript, pattern: pattern,
                                        what: "cut to \(length) bytes")
                }
                for extra in [[0], [UInt8](repeating: 0xA5, count: 16), [UInt8](repeating: 0, count: 64)] {
                    Self.expectRejected(message + extra, at: index, in: transcript, pattern: pattern,
                                        what: "\(extra.count) bytes appended")
                }
            }
        }
    }

    @Test("which payloads are sealed: all but the first of XX and NN (psk patterns' e already makes a key)")
    func sealedPayloads() {
        #expect(NoisePattern.XX.sealsPayload(message: 0) == false)
        #expect(NoisePattern.NN.sealsPayload(message: 0) == false)
        for pattern in [NoisePattern.IK, .IKpsk2, .XXpsk0, .NNpsk0, .XXpsk3] {
            #expect(pattern.sealsPayload(message: 0))
        }
        for pattern in NoisePattern.all { #expect(pattern.sealsPayload(message: 1)) }
    }

    @Test("a message longer than Noise's 65535 bytes is refused before anything else")
    func tooLong() throws {
        let transcript = try HandshakeTranscript(.XXpsk0, keys: Self.keys, payloads: [])
        var reader = transcript.receiversBefore[0]
        #expect(throws: NoiseError.tooLong(bytes: 65536)) {
            try reader.readMessage(transcript.messages[0] + [UInt8](repeating: 0, count: 65536 - 48))
        }
        var (initiator, _) = try Self.keys.pair(.XX)
        #expect(throws: NoiseError.tooLong(bytes: 65536)) {
            try initiator.writeMessage(payload: [UInt8](repeating: 1, count: 65536 - 32))
        }
        #expect(initiator.messagesDone == 0)
        #expect(try initiator.writeMessage(payload: [UInt8](repeating: 1, count: 65535 - 32)).count == 65535)
    }

    @Test("a replayed message 1 or 3 to a responder that has moved on is refused", arguments: NoisePattern.all)
    func replay(pattern: NoisePattern) throws {
        let transcript = try HandshakeTranscript(pattern, keys: Self.keys, payloads: [[1], [2], [3]])
        var (initiator, responder) = try Self.keys.pair(pattern)
        let first = try initiator.writeMessage(payload: [1])
        _ = try responder.readMessage(first)
        // Now the responder's turn to write: the same message again is out of turn.
        #expect(throws: NoiseError.notOurTurn) { try responder.readMessage(first) }
        let second = try responder.writeMessage(payload: [2])
        if pattern.messages.count == 3 {
            // Waiting for message 3: message 1 again does not pass for it.
            let waiting = responder
            #expect(throws: NoiseError.self) { try responder.readMessage(first) }
            #expect(responder.handshakeHash == waiting.handshakeHash)
            _ = try initiator.readMessage(second)
            let third = try initiator.writeMessage(payload: [3])
            _ = try responder.readMessage(third)
            #expect(throws: NoiseError.handshakeComplete) { try responder.readMessage(third) }
            #expect(throws: NoiseError.handshakeComplete) { try initiator.readMessage(second) }
        } else {
            _ = try initiator.readMessage(second)
            #expect(throws: NoiseError.handshakeComplete) { try initiator.readMessage(second) }
        }
        #expect(throws: NoiseError.handshakeComplete) { try responder.readMessage(first) }
        #expect(throws: NoiseError.handshakeComplete) { try initiator.writeMessage(payload: []) }
        #expect(initiator.isComplete && responder.isComplete)
        #expect(initiator.handshakeHash == transcript.initiator.handshakeHash)
    }

    @Test("a reply to another initiator's first message is refused", arguments: NoisePattern.all)
    func crossedHandshakes(pattern: NoisePattern) throws {
        // Two initiators with the same keys but their own ephemerals; the responder answers the second one.
        var (initiator, _) = try Self.keys.pair(pattern, fixedEphemerals: false)
        var (other, responder) = try Self.keys.pair(pattern, fixedEphemerals: false)
        _ = try initiator.writeMessage(payload: [])
        _ = try responder.readMessage(try other.writeMessage(payload: []))
        let reply = try responder.writeMessage(payload: [])
        let before = initiator
        #expect(throws: NoiseError.authenticationFailed) { try initiator.readMessage(reply) }
        #expect(initiator.handshakeHash == before.handshakeHash)
        #expect(throws: Never.self) { try other.readMessage(reply) }
    }

    @Test("out of turn: the responder cannot write first, the initiator cannot read first")
    func outOfTurn() throws {
        var (initiator, responder) = try Self.keys.pair(.XX)
        #expect(initiator.isOurTurnToWrite && !responder.isOurTurnToWrite)
        #expect(throws: NoiseError.notOurTurn) { try responder.writeMessage(payload: []) }
        #expect(throws: NoiseError.notOurTurn) { try initiator.readMessage([UInt8](repeating: 9, count: 32)) }
        #expect(responder.messagesDone == 0 && initiator.messagesDone == 0)
    }

    @Test("a wrong psk fails at the first message that mixes it, and not before",
          arguments: NoisePattern.all.filter(\.usesPreSharedKey))
    func wrongPSK(pattern: NoisePattern) throws {
        var wrong = Self.keys.psk
        wrong[31] ^= 1
        let (initiator, responder) = try Self.keys.pair(pattern, responderPSK: wrong)
        var sides = [initiator, responder]
        let failing = try #require(pattern.firstPSKMessage)
        for index in pattern.messages.indices {
            let (sender, reader) = (index % 2, 1 - index % 2)
            let message = try sides[sender].writeMessage(payload: Array("hello".utf8))
            if index < failing {
                _ = try sides[reader].readMessage(message)
                continue
            }
            let before = sides[reader]
            #expect(throws: NoiseError.authenticationFailed) { try sides[reader].readMessage(message) }
            #expect(sides[reader].handshakeHash == before.handshakeHash)
            #expect(index == failing)
            return
        }
        Issue.record("\(pattern): the handshake completed with a wrong psk")
    }

    @Test("a different prologue on one side fails at the first sealed payload", arguments: NoisePattern.all)
    func prologueMismatch(pattern: NoisePattern) throws {
        var (initiator, _) = try Self.keys.pair(pattern, prologue: Array("v1".utf8))
        var (_, responder) = try Self.keys.pair(pattern, prologue: Array("v2".utf8))
        let first = try initiator.writeMessage(payload: [])
        if pattern.sealsPayload(message: 0) {
            #expect(throws: NoiseError.authenticationFailed) { try responder.readMessage(first) }
        } else {
            _ = try responder.readMessage(first)
            let second = try responder.writeMessage(payload: [])
            #expect(throws: NoiseError.authenticationFailed) { try initiator.readMessage(second) }
        }
    }

    @Test("a small-order ephemeral or static key is refused as a DH failure, not used")
    func smallOrderKeys() throws {
        let zero = [UInt8](repeating: 0, count: 32)
        // XX message 2 with an all-zero e: the initiator's ee gives zero.
        var (initiator, _) = try Self.keys.pair(.XX)
        _ = try initiator.writeMessage(payload: [])
        #expect(throws: NoiseError.invalidPublicKey) {
            try initiator.readMessage(zero + [UInt8](repeating: 0, count: 64))
        }
        #expect(initiator.messagesDone == 1)
        // IK towards a small-order static key: the initiator's es gives zero and nothing is written.
        var toZero = try NoiseHandshake(pattern: .IK, initiator: true, staticKey: Self.keys.initiatorStatic,
                                        remoteStaticKey: zero)
        #expect(throws: NoiseError.invalidPublicKey) { try toZero.writeMessage(payload: []) }
        #expect(toZero.messagesDone == 0)
    }

    @Test("keys that do not fit the pattern are refused when the handshake is made")
    func keyChecks() {
        let key = Self.keys.initiatorStatic
        #expect(throws: NoiseError.missingKey("static key")) { try NoiseHandshake(pattern: .XX, initiator: true) }
        #expect(throws: NoiseError.missingKey("remote static key")) {
            try NoiseHandshake(pattern: .IK, initiator: true, staticKey: key)
        }
        #expect(throws: NoiseError.missingKey("pre-shared key")) {
            try NoiseHandshake(pattern: .XXpsk3, initiator: false, staticKey: key)
        }
        #expect(throws: NoiseError.unusedKey("pre-shared key")) {
            try NoiseHandshake(pattern: .XX, initiator: true, staticKey: key, psk: key)
        }
        #expect(throws: NoiseError.unusedKey("remote static key")) {
            try NoiseHandshake(pattern: .XX, initiator: true, staticKey: key, remoteStaticKey: key)
        }
        #expect(throws: NoiseError.invalidKeyLength("pre-shared key", bytes: 31)) {
            try NoiseHandshake(pattern: .NNpsk0, initiator: true, psk: Array(key.prefix(31)))
        }
        #expect(throws: NoiseError.invalidKeyLength("static key", bytes: 33)) {
            try NoiseHandshake(pattern: .XX, initiator: true, staticKey: key + [0])
        }
        #expect(throws: NoiseError.invalidKeyLength("ephemeral key", bytes: 0)) {
            try NoiseHandshake(pattern: .NN, initiator: true, ephemeralKey: [])
        }
        // IK's responder does not know the initiator in advance: no remote static key is needed.
        #expect(throws: Never.self) { try NoiseHandshake(pattern: .IK, initiator: false, staticKey: key) }
    }

    @Test("random payloads and keys round-trip over many seeds, through the handshake and transport",
          arguments: NoisePattern.all)
    func randomRoundTrips(pattern: NoisePattern) throws {
        for seed in UInt64(0)..<40 {
            var generator = SeededGenerator(seed: seed &* 7919 &+ UInt64(pattern.name.utf8.count))
            func randomPayload() -> [UInt8] {
                generator.bytes(Bool.random(using: &generator) ? Int.random(in: 0...40, using: &generator)
                                                               : Int.random(in: 0...2000, using: &generator))
            }
            let keys = HandshakeKeys(seed: generator.next())
            let prologue = randomPayload()
            // Half the seeds draw ephemerals from the system's random source, as the product does.
            var (initiator, responder) = try keys.pair(pattern, prologue: prologue, fixedEphemerals: seed % 2 == 0)
            for index in pattern.messages.indices {
                let payload = randomPayload()
                if index % 2 == 0 {
                    #expect(try responder.readMessage(try initiator.writeMessage(payload: payload)) == payload)
                } else {
                    #expect(try initiator.readMessage(try responder.writeMessage(payload: payload)) == payload)
                }
            }
            #expect(initiator.isComplete && responder.isComplete)
            #expect(initiator.handshakeHash == responder.handshakeHash)
            if pattern.name.first != "N" {
                #expect(responder.remoteStaticKey == X25519.publicKey(privateKey: keys.initiatorStatic))
            }
            if pattern.name.dropFirst().first != "N" {
                #expect(initiator.remoteStaticKey == X25519.publicKey(privateKey: keys.responderStatic))
            }
            var (forward, backward) = initiator.split()
            var (forwardIn, backwardOut) = responder.split()
            for _ in 0..<4 {
                let there = randomPayload(), back = randomPayload()
                #expect(try forwardIn.decrypt(ciphertext: try forward.encrypt(plaintext: there)) == there)
                #expect(try backward.decrypt(ciphertext: try backwardOut.encrypt(plaintext: back)) == back)
            }
        }
    }
}
