import PeerChannel
import PeerSession

/// How a group member starts: who it is, whom it trusts, and whom it dials.
public struct GroupConfiguration: Sendable {
    /// The template for every member's secure channel: our name, run, keys, pins, `--psk`, `--expect-key`, and our
    /// listen port (told to each member in our initiation). Each member's channel is this with its own entropy.
    public var channel: ChannelConfiguration
    /// Our static public key: what other members know us by.
    public var publicKey: [UInt8]
    /// The members to dial at start (`--peer`, `--dest-port`): their listen addresses.
    public var peers: [PeerAddress]
    /// At most this many members at once; an initiation from a stranger past it is refused.
    public var maxMembers: Int
    /// At most this many members whose handshake has not completed and whom nobody told us about (strangers
    /// answering nothing yet): past it the oldest is forgotten, so forged initiations cannot fill the table. No
    /// fewer than the strangers admitted in a second (16): a stranger forgotten after we answered it believes its
    /// handshake complete and finds out only when its confirmation attempts run out, seconds later.
    public var maxStrangers: Int
    /// A member silent this long while we still have input is forgotten (removed from the roster).
    public var forgetAfter: TimeSpan

    /// Collects the configuration.
    public init(channel: ChannelConfiguration, publicKey: [UInt8], peers: [PeerAddress], maxMembers: Int = 64,
                maxStrangers: Int = 16, forgetAfter: TimeSpan = .seconds(600)) {
        self.channel = channel
        self.publicKey = publicKey
        self.peers = peers
        self.maxMembers = maxMembers
        self.maxStrangers = maxStrangers
        self.forgetAfter = forgetAfter
    }
}
