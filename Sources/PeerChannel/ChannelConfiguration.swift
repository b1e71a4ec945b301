import PeerIdentity
import PeerSession

/// What a secure channel needs besides its session's configuration: our keys and whom we trust.
public struct ChannelConfiguration: Sendable {
    /// The session inside (its carriage is set to `.sealed` by the channel).
    public var session: SessionConfiguration
    /// Our static X25519 private key: our identity.
    public var staticKey: [UInt8]
    /// The 32-byte pre-shared key (`--psk`): without it no handshake completes, in either direction.
    public var preSharedKey: [UInt8]?
    /// Names and the public keys pinned for them (the known-peers file as it was at start).
    public var knownKeys: [String: [UInt8]]
    /// The peer's fingerprint given with `--expect-key`: any other key is refused, even on first contact.
    public var expectedKey: Fingerprint?
    /// Whether this side starts handshakes (it has a destination); a side that only answers waits for one.
    public var initiates: Bool
    /// Whether the other side may go by our own name. A group refuses it (names are unique); a conversation of
    /// two, as before groups, allows it (two people who both kept the default name `peer`).
    public var allowsOurName: Bool
    /// The port we receive on, told to the other side in our initiation so that it knows where to answer (a
    /// group member learns a joiner's address this way); 0 when nobody needs to be told (tests of two sides).
    public var listenPort: UInt16
    /// Whether to hand out the keys of each completed handshake (`pollKeyLogEntry`) for a key log (`--keylog`).
    /// Off unless asked: whoever reads them can read and forge the conversation.
    public var exportsKeys: Bool

    /// Collects the configuration.
    public init(session: SessionConfiguration, staticKey: [UInt8], preSharedKey: [UInt8]? = nil,
                knownKeys: [String: [UInt8]] = [:], expectedKey: Fingerprint? = nil, initiates: Bool = true,
                exportsKeys: Bool = false, listenPort: UInt16 = 0, allowsOurName: Bool = true) {
        self.listenPort = listenPort
        self.allowsOurName = allowsOurName
        self.session = session
        self.staticKey = staticKey
        self.preSharedKey = preSharedKey
        self.knownKeys = knownKeys
        self.expectedKey = expectedKey
        self.initiates = initiates
        self.exportsKeys = exportsKeys
    }
}
