import PeerCrypto

/// One side of a Noise handshake (revision 34, §5.3) with DH 25519, cipher ChaChaPoly and hash BLAKE2s, as a
/// pure state machine: it takes and returns bytes and does no I/O.
///
/// A value type that commits only on success: when `writeMessage` or `readMessage` throws, the handshake is
/// exactly as it was, so a caller can try an untrusted datagram and simply drop it if it fails. Messages are
/// taken in the pattern's order, the initiator sending first; a message arriving out of turn or after the end is
/// refused. `readMessage` throws `NoiseError` on any bad input and never traps.
public struct NoiseHandshake: Sendable {
    /// Noise's limit on any message.
    public static let maxMessageBytes = 65535

    /// A key pair of ours; the private half is wiped when no copy of the handshake holds it any more.
    private struct KeyPair: Sendable {
        let privateKey: Secret
        let publicKey: [UInt8]

        init(privateKey: [UInt8]) {
            self.privateKey = Secret(privateKey)
            publicKey = X25519.publicKey(privateKey: privateKey)
        }
    }

    /// The pattern being run.
    public let pattern: NoisePattern
    /// True for the side that sends the first message.
    public let isInitiator: Bool

    private var symmetric: NoiseSymmetricState
    private let localStatic: KeyPair?
    private var localEphemeral: KeyPair?
    private var remoteEphemeral: [UInt8]?
    private let preSharedKey: Secret?
    private var messageIndex = 0

    /// The other side's static public key: given at the start (IK's initiator) or learnt from its `s` token.
    /// Authenticated only once `isComplete`; pinning or checking it against known peers is the caller's job.
    public private(set) var remoteStaticKey: [UInt8]?

    /// Creates one side of a handshake.
    /// - Parameters:
    ///   - prologue: bytes both sides must agree on (e.g. a version string); hashed first, never sent.
    ///   - staticKey: our 32-byte X25519 private key, when the pattern uses our static key.
    ///   - remoteStaticKey: the other side's 32-byte public key, when the pattern's pre-message has it (IK's
    ///     initiator). Refused for other patterns, so nobody believes it checks a key it would ignore.
    ///   - psk: the 32-byte pre-shared key; required by `psk` patterns and refused by the others, so a psk is
    ///     never silently unused.
    ///   - ephemeralKey: a fixed ephemeral private key, for test vectors only; otherwise a fresh one is drawn
    ///     from the system's random source when the `e` token is written.
    /// - Throws: `missingKey`, `unusedKey` or `invalidKeyLength` when the keys do not fit the pattern.
    public init(pattern: NoisePattern, initiator: Bool, prologue: [UInt8] = [], staticKey: [UInt8]? = nil,
                remoteStaticKey: [UInt8]? = nil, psk: [UInt8]? = nil,
                ephemeralKey: [UInt8]? = nil) throws(NoiseError) {
        self.pattern = pattern
        isInitiator = initiator
        let (localPreMessage, remotePreMessage) = initiator
            ? (pattern.initiatorPreMessage, pattern.responderPreMessage)
            : (pattern.responderPreMessage, pattern.initiatorPreMessage)
        precondition(!(localPreMessage + remotePreMessage).contains(.e), "no pattern here has an e pre-message")

        if Self.usesLocalStatic(pattern, initiator: initiator) {
            guard let staticKey else { throw .missingKey("static key") }
            try Self.checkLength(staticKey, "static key")
            localStatic = KeyPair(privateKey: staticKey)
        } else {
            localStatic = nil
        }
        if remotePreMessage.contains(.s) {
            guard let remoteStaticKey else { throw .missingKey("remote static key") }
            try Self.checkLength(remoteStaticKey, "remote static key")
            self.remoteStaticKey = remoteStaticKey
        } else if remoteStaticKey != nil {
            throw .unusedKey("remote static key")
        }
        if pattern.usesPreSharedKey {
            guard let psk else { throw .missingKey("pre-shared key") }
            try Self.checkLength(psk, "pre-shared key")
            preSharedKey = Secret(psk)
        } else if psk != nil {
            throw .unusedKey("pre-shared key")
        } else {
            preSharedKey = nil
        }
        if let ephemeralKey {
            try Self.checkLength(ephemeralKey, "ephemeral key")
            localEphemeral = KeyPair(privateKey: ephemeralKey)
        }

        symmetric = NoiseSymmetricState(protocolName: pattern.protocolName)
        symmetric.mixHash(prologue)
        // Pre-messages are hashed initiator's first, whichever side we are (§7.1).
        let initiatorKnown = initiator ? localStatic?.publicKey : self.remoteStaticKey
        let responderKnown = initiator ? self.remoteStaticKey : localStatic?.publicKey
        if pattern.initiatorPreMessage.contains(.s), let key = initiatorKnown { symmetric.mixHash(key) }
        if pattern.responderPreMessage.contains(.s), let key = responderKnown { symmetric.mixHash(key) }
    }

    /// True once every message of the pattern has been written or read; then `split()` may be called.
    public var isComplete: Bool { messageIndex >= pattern.messages.count }

    /// True when the next step is ours to write (false once complete).
    public var isOurTurnToWrite: Bool { !isComplete && (messageIndex % 2 == 0) == isInitiator }

    /// The number of handshake messages written or read so far.
    public var messagesDone: Int { messageIndex }

    /// h: a hash of the whole transcript. Equal on both sides once complete, and unique to this handshake, so it
    /// can bind a session to it (channel binding).
    public var handshakeHash: [UInt8] { symmetric.hash }

    /// The next handshake message, carrying `payload` (encrypted once any key exists, in clear before).
    /// - Throws: `notOurTurn`, `handshakeComplete`, `tooLong`, `invalidPublicKey` (the remote key we were given
    ///   is a small-order point); the handshake is then unchanged.
    public mutating func writeMessage(payload: [UInt8] = []) throws(NoiseError) -> [UInt8] {
        var next = self
        let message = try next.write(payload: payload)
        self = next
        return message
    }

    /// The payload of the other side's next handshake message.
    /// - Throws: `notOurTurn`, `handshakeComplete`, `tooLong`, `truncated`, `authenticationFailed`,
    ///   `invalidPublicKey`; the handshake is then unchanged.
    public mutating func readMessage(_ message: [UInt8]) throws(NoiseError) -> [UInt8] {
        var next = self
        let payload = try next.read(message)
        self = next
        return payload
    }

    /// The two transport CipherStates, the first for initiator → responder, the second for the reverse.
    /// - Precondition: `isComplete` (a caller's own sequencing, never outside data).
    public func split() -> (initiatorToResponder: NoiseCipherState, responderToInitiator: NoiseCipherState) {
        precondition(isComplete, "split() before the handshake is complete")
        let (first, second) = symmetric.split()
        return (first, second)
    }

    private mutating func write(payload: [UInt8]) throws(NoiseError) -> [UInt8] {
        try checkTurn(writing: true)
        var message: [UInt8] = []
        for token in pattern.messages[messageIndex] {
            switch token {
            case .e:
                let ephemeral = localEphemeral ?? KeyPair(privateKey: X25519.newPrivateKey())
                localEphemeral = ephemeral
                message += ephemeral.publicKey
                mixPublicKey(ephemeral.publicKey)
            case .s:
                guard let localStatic else { throw .missingKey("static key") }
                message += try symmetric.encryptAndHash(localStatic.publicKey)
            case .ee, .es, .se, .ss:
                try mixDiffieHellman(token)
            case .psk:
                guard let preSharedKey else { throw .missingKey("pre-shared key") }
                symmetric.mixKeyAndHash(preSharedKey.bytes)
            }
        }
        message += try symmetric.encryptAndHash(payload)
        guard message.count <= Self.maxMessageBytes else { throw .tooLong(bytes: message.count) }
        finishMessage()
        return message
    }

    private mutating func read(_ message: [UInt8]) throws(NoiseError) -> [UInt8] {
        try checkTurn(writing: false)
        guard message.count <= Self.maxMessageBytes else { throw .tooLong(bytes: message.count) }
        var offset = 0
        // Takes the next `count` bytes, refusing a message that ends first.
        func take(_ count: Int) throws(NoiseError) -> [UInt8] {
            guard count <= message.count - offset else {
                throw .truncated(bytes: message.count, needed: offset + count)
            }
            defer { offset += count }
            return Array(message[offset..<offset + count])
        }
        for token in pattern.messages[messageIndex] {
            switch token {
            case .e:
                let ephemeral = try take(X25519.keyBytes)
                remoteEphemeral = ephemeral
                mixPublicKey(ephemeral)
            case .s:
                let sealedBytes = X25519.keyBytes + (symmetric.cipher.hasKey ? NoiseCipherState.tagBytes : 0)
                remoteStaticKey = try symmetric.decryptAndHash(try take(sealedBytes))
            case .ee, .es, .se, .ss:
                try mixDiffieHellman(token)
            case .psk:
                guard let preSharedKey else { throw .missingKey("pre-shared key") }
                symmetric.mixKeyAndHash(preSharedKey.bytes)
            }
        }
        // Once a key exists even an empty payload carries a 16-byte tag; before, the rest is the payload in clear.
        let payload = try symmetric.decryptAndHash(Array(message[offset...]))
        finishMessage()
        return payload
    }

    private func checkTurn(writing: Bool) throws(NoiseError) {
        guard !isComplete else { throw .handshakeComplete }
        guard isOurTurnToWrite == writing else { throw .notOurTurn }
    }

    private mutating func finishMessage() {
        messageIndex += 1
        // The ephemeral private key is useless once the handshake is over; dropping it lets it be wiped now.
        if isComplete { localEphemeral = nil }
    }

    /// MixHash(e), and in psk patterns MixKey(e) too (§9.2), so that a psk-keyed message's key depends on e.
    private mutating func mixPublicKey(_ publicKey: [UInt8]) {
        symmetric.mixHash(publicKey)
        if pattern.usesPreSharedKey { symmetric.mixKey(publicKey) }
    }

    /// MixKey(DH(...)) for a DH token; the token names the initiator's key first, the responder's second.
    private mutating func mixDiffieHellman(_ token: NoisePattern.Token) throws(NoiseError) {
        let (initiatorEphemeral, responderEphemeral): (Bool, Bool) = switch token {
        case .ee: (true, true)
        case .es: (true, false)
        case .se: (false, true)
        default: (false, false)
        }
        let localEphemeralUsed = isInitiator ? initiatorEphemeral : responderEphemeral
        let remoteEphemeralUsed = isInitiator ? responderEphemeral : initiatorEphemeral
        guard let privateKey = localEphemeralUsed ? localEphemeral?.privateKey : localStatic?.privateKey
        else { throw .missingKey(localEphemeralUsed ? "ephemeral key" : "static key") }
        guard let publicKey = remoteEphemeralUsed ? remoteEphemeral : remoteStaticKey
        else { throw .missingKey(remoteEphemeralUsed ? "remote ephemeral key" : "remote static key") }
        guard var shared = X25519.sharedSecret(privateKey: privateKey.bytes, publicKey: publicKey)
        else { throw .invalidPublicKey }
        symmetric.mixKey(shared)
        Secret.wipe(&shared)
    }

    private static func usesLocalStatic(_ pattern: NoisePattern, initiator: Bool) -> Bool {
        let preMessage = initiator ? pattern.initiatorPreMessage : pattern.responderPreMessage
        let ownMessages = pattern.messages.enumerated().filter { ($0.offset % 2 == 0) == initiator }.map(\.element)
        let staticDiffieHellman: [NoisePattern.Token] = initiator ? [.se, .ss] : [.es, .ss]
        return preMessage.contains(.s) || pattern.messages.joined().contains { staticDiffieHellman.contains($0) }
            || ownMessages.joined().contains(.s)
    }

    private static func checkLength(_ key: [UInt8], _ which: String) throws(NoiseError) {
        guard key.count == X25519.keyBytes else { throw .invalidKeyLength(which, bytes: key.count) }
    }
}
