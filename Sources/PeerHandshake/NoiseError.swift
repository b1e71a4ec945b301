/// Why a handshake or cipher step refused to go on. Each case names one fault, so a log line can say which; the
/// state that threw is unchanged (`NoiseHandshake` and `NoiseCipherState` are values and commit only on success).
public enum NoiseError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A key the pattern needs was not given (`static key`, `remote static key`, `pre-shared key`).
    case missingKey(String)
    /// A key was given that the pattern never uses (a psk to a pattern without `psk`, a remote static key to a
    /// pattern that learns it): refused rather than silently ignored.
    case unusedKey(String)
    /// A key of the wrong length was given (X25519 keys and pre-shared keys are 32 bytes).
    case invalidKeyLength(String, bytes: Int)
    /// `writeMessage` when it is the other side's turn to send, or `readMessage` when it is ours.
    case notOurTurn
    /// A handshake message after the handshake has finished (a replay, or a lost final message sent again).
    case handshakeComplete
    /// The message ends before the public keys or the tag its pattern requires.
    case truncated(bytes: Int, needed: Int)
    /// Longer than Noise's 65535-byte message limit.
    case tooLong(bytes: Int)
    /// The AEAD tag did not verify: the message was altered, replayed into another handshake, or the two sides
    /// do not share the same keys (a wrong pre-shared key shows up here too).
    case authenticationFailed
    /// A Diffie-Hellman result was all zeros: the remote public key is a small-order point.
    case invalidPublicKey
    /// The nonce counter reached 2^64 − 1, which Noise reserves; the keys must be replaced.
    case nonceExhausted

    /// A short English phrase, fit for the `reason` of a log event.
    public var description: String {
        switch self {
        case .missingKey(let which): "no \(which) given, and the pattern needs one"
        case .unusedKey(let which): "\(which) given, but the pattern does not use one"
        case .invalidKeyLength(let which, let bytes): "\(which) is \(bytes) bytes, not 32"
        case .notOurTurn: "handshake message out of turn"
        case .handshakeComplete: "handshake message after the handshake completed"
        case .truncated(let bytes, let needed): "handshake message of \(bytes) bytes is shorter than \(needed)"
        case .tooLong(let bytes): "message of \(bytes) bytes exceeds Noise's 65535"
        case .authenticationFailed: "authentication failed"
        case .invalidPublicKey: "remote public key is a small-order point"
        case .nonceExhausted: "nonce counter exhausted"
        }
    }
}
