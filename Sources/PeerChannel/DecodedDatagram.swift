import PeerWire

/// What `SealedDatagramDecoder` made of one captured datagram: its kind and header numbers as far as they could be
/// read, its contents when a key log's keys opened it, and otherwise why not.
public struct DecodedDatagram: Sendable, Equatable {
    /// What the first byte says the datagram is (`SealedFraming`).
    public enum Kind: Sendable, Equatable {
        /// Handshake message 1; `preSharedKey` when sent with `--psk` (XXpsk0).
        case initiation(preSharedKey: Bool)
        /// Handshake message 2.
        case response
        /// Handshake message 3.
        case finish
        /// A cookie reply: the sender is under load and asks for the initiation again with the cookie.
        case cookieReply
        /// A sealed datagram; `toAnotherRun` when addressed to a run of the receiver other than the one its keys
        /// were agreed with (the compact header then has no `to`).
        case transport(toAnotherRun: Bool)
        /// A PEER/1 datagram: readable as it is.
        case readable
        /// A first byte no kind has.
        case unknown(UInt8)
        /// No bytes at all.
        case empty
    }

    /// Why a datagram could not be read to the end. The receiver would refuse it for the same reason.
    public enum Problem: Sendable, Equatable, CustomStringConvertible {
        /// Shorter (or longer) than its kind allows.
        case badLength(expected: String)
        /// No key-log entry names this index: the log lacks that handshake, or the datagram is forged.
        case noKey(index: UInt32)
        /// Keys for its index exist but none authenticates it: altered, forged, or from another handshake that
        /// chose the same index.
        case authenticationFailed(keysTried: Int)
        /// It opened, but what it carries is not a compact datagram.
        case malformedContents(String)
        /// A PEER/1 datagram that does not decode.
        case malformedReadable(String)
        /// Neither PEER/2 nor PEER/1.
        case notPeer

        /// A short English phrase.
        public var description: String {
            switch self {
            case .badLength(let expected): "wrong length (\(expected))"
            case .noKey(let index): "no key for index \(KeyLog.hex8(index)) in the key log"
            case .authenticationFailed(let tried):
                "authentication failed with the \(tried == 1 ? "key" : "\(tried) keys") for its index "
                    + "(altered, forged, or sealed with other keys)"
            case .malformedContents(let reason): "opened, but the contents are malformed: \(reason)"
            case .malformedReadable(let reason): "a malformed PEER/1 datagram: \(reason)"
            case .notPeer: "not a peer datagram"
            }
        }
    }

    /// What the first byte says.
    public var kind: Kind
    /// Its length in bytes.
    public var byteCount: Int
    /// The sender's index (handshake messages).
    public var senderIndex: UInt32?
    /// An initiation's listen port: where its sender asks to be answered.
    public var listenPort: UInt16?
    /// The receiver's index (a response, a finish, a sealed datagram).
    public var receiverIndex: UInt32?
    /// The packet number: the 32 bits on the wire, or the 64-bit nonce restored from them once opened.
    public var packetNumber: UInt64?
    /// The sender's and receiver's names, when a key-log entry names the indexes.
    public var sender: String?
    /// See `sender`.
    public var receiver: String?
    /// The contents, as the receiver's session would take them (from, sid and to filled in from the keys).
    public var datagram: Datagram?
    /// A sealed datagram with nothing inside: a responder's sign that it holds the keys.
    public var isKeepalive = false
    /// A packet number this decoder opened before with the same keys, or too far behind the highest to tell: a
    /// duplicate or a replay, which the receiver refuses.
    public var isRepeat = false
    /// Why it was not read to the end; nil when it was.
    public var problem: Problem?

    /// A datagram of `kind` and `byteCount` bytes, nothing else known yet.
    public init(kind: Kind, byteCount: Int) {
        self.kind = kind
        self.byteCount = byteCount
    }
}
