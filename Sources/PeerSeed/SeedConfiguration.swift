import PeerSession

/// How a `SeedSession` runs: the values the runtime injects, each with its reason.
///
/// The original classroom client has no names, no heartbeat and no end signal, so most of these exist to make
/// up, carefully, for what it does not say.
public struct SeedConfiguration: Sendable, Equatable {
    /// Our display name, for our own logs only: the original's wire format has no place for a name.
    public var name: String
    /// The name shown on the original's messages (it never says who it is).
    public var peerName: String
    /// After input ends, close once nothing has been heard for this long: the original never says goodbye.
    public var linger: TimeSpan
    /// The most times one of our messages is replayed. The original never counts replays, so its count stays
    /// below ours for ever after a loss; without this cap every message it typed would trigger replays again.
    public var maxReplaysPerMessage: Int
    /// The least time between two transmissions of one message, so a burst of counts from the original (it may
    /// type several lines quickly) replays a message once, not once per line.
    public var replaySpacing: TimeSpan
    /// The longest round trip expected. A count that arrives sooner than this after one of our messages left
    /// may not include it yet, so it is not taken as evidence of loss (see `SeedSession`'s repair rule).
    public var roundTripAllowance: TimeSpan
    /// Silence between two replayed datagrams that ends a replay burst. The original sends a burst without any
    /// pacing, so its datagrams arrive back to back; a gap this long means the next one starts a new burst.
    public var burstGap: TimeSpan
    /// How long after one of our messages leaves a replay burst it triggers may still begin. Within it, a text
    /// the current burst repeats is read as the start of that next burst rather than as a new message.
    public var burstAnswerWindow: TimeSpan
    /// The longest a line of the original's is held back before it is shown, so that a replay burst can put a
    /// line we missed before it (see `OriginalLog`). Longer keeps more lines in the original's order; shorter
    /// shows them sooner while we do not type (a line we answer is settled sooner, by the original's silence).
    /// Zero shows every line at once, in the order it arrives.
    public var holdLimit: TimeSpan
    /// The most lines held back at once; beyond it the oldest is shown, so a flood cannot fill memory.
    public var maxHeld: Int
    /// How many of the original's texts are remembered to show each only once (about 30 bytes each).
    public var textMemory: Int

    /// Collects the configuration; the defaults suit a LAN or a single machine, where the original ran.
    public init(
        name: String, peerName: String = "seed", linger: TimeSpan = .seconds(5), maxReplaysPerMessage: Int = 3,
        replaySpacing: TimeSpan = .milliseconds(200), roundTripAllowance: TimeSpan = .milliseconds(100),
        burstGap: TimeSpan = .milliseconds(200), burstAnswerWindow: TimeSpan = .seconds(1),
        holdLimit: TimeSpan = .seconds(2), maxHeld: Int = 256, textMemory: Int = 65_536
    ) {
        self.name = name
        self.peerName = peerName
        self.linger = linger
        self.maxReplaysPerMessage = maxReplaysPerMessage
        self.replaySpacing = replaySpacing
        self.roundTripAllowance = roundTripAllowance
        self.burstGap = burstGap
        self.burstAnswerWindow = burstAnswerWindow
        self.holdLimit = holdLimit
        self.maxHeld = maxHeld
        self.textMemory = textMemory
    }
}
