/// Why a PEER/2 datagram was refused before it reached the conversation. Each case is one fault, so the `reject`
/// event can say which; none of them changed anything.
public enum ChannelError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The first byte names no PEER/2 datagram.
    case unknownKind(UInt8)
    /// A PEER/1 datagram: the other side runs a build that does not seal.
    case olderProtocol
    /// Shorter or longer than its kind allows.
    case badLength(kind: String, bytes: Int)
    /// No handshake of ours, or keys, go with the index it names: from a run that is gone (ours or the other
    /// side's), or made up.
    case unknownIndex(kind: String)
    /// A handshake message that did not verify (`reason` from the Noise layer).
    case handshakeFailed(step: String, reason: String, preSharedKey: Bool)
    /// An initiation of the other psk-kind: one side runs with `--psk`, the other without.
    case preSharedKeyMismatch(theyUseOne: Bool)
    /// A transport datagram whose tag did not verify: altered, forged, or sealed with other keys.
    case authenticationFailed
    /// A packet number already accepted, or too far behind to tell.
    case replayed(UInt64)
    /// A handshake payload of another revision.
    case unsupportedVersion(UInt8)
    /// A handshake payload that does not parse.
    case malformedPayload(String)
    /// A handshake message that names this very run as its sender: our own message, sent back to us. It
    /// authenticates (our key is a key we hold), so only the run it names can tell it from the other side's.
    case reflected(step: String)
    /// The datagram opened, but its contents are not a PEER/2 datagram.
    case malformedContents(String)
    /// Nothing more is sent to an address not yet proven: it has used three times what it sent.
    case amplificationLimit

    /// A short English phrase, for the `reason` of a `reject` event.
    public var description: String {
        switch self {
        case .unknownKind(let kind): "not a PEER/2 datagram (first byte \(kind))"
        case .olderProtocol: "a PEER/1 datagram: the other side runs an older peer that does not seal its datagrams"
        case .badLength(let kind, let bytes): "\(kind) of \(bytes) bytes has the wrong length"
        case .unknownIndex(let kind): "\(kind) for keys or a handshake we do not have (an earlier run, or forged)"
        case .handshakeFailed(let step, let reason, let preSharedKey):
            "handshake \(step) failed: \(reason)" + (preSharedKey ? " (do both sides use the same --psk?)" : "")
        case .preSharedKeyMismatch(let theyUseOne):
            theyUseOne ? "handshake from a peer that uses --psk, and we do not" : "handshake without --psk, and we use one"
        case .authenticationFailed: "failed authentication (altered, forged, or sealed with other keys)"
        case .replayed(let number): "packet \(number) already taken or too old (a replay)"
        case .unsupportedVersion(let version): "handshake of protocol revision \(version); this build speaks 2"
        case .malformedPayload(let what): "handshake payload malformed: \(what)"
        case .reflected(let step): "handshake \(step) is our own handshake sent back to us (a reflection)"
        case .malformedContents(let what): "sealed datagram opened but malformed: \(what)"
        case .amplificationLimit: "not answered: the sender has not proven its address and used its allowance"
        }
    }
}
