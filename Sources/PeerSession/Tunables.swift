/// Every timer and limit of the protocol in one place, with its default and the reason for it.
///
/// docs/PROTOCOL.md quotes these values; change them here and there together.
public struct Tunables: Sendable, Equatable {
    /// Retransmission timeout before any round trip has been measured. A PING at start-up measures one at once.
    public var initialRetransmissionTimeout = TimeSpan.milliseconds(200)
    /// The retransmission timeout never goes below this, so a scheduler hiccup on a fast link does not replay
    /// segments that are merely late.
    public var minimumRetransmissionTimeout = TimeSpan.milliseconds(25)
    /// Backing off stops doubling here, so a peer that comes back after a partition is noticed within a second,
    /// and a lossy but live path is never silent for long enough to be given up on.
    public var maximumRetransmissionTimeout = TimeSpan.seconds(1)
    /// Clock granularity: the least time allowed for reordering before a hole counts as lost.
    public var granularity = TimeSpan.milliseconds(1)
    /// A segment sent before one that arrived is lost once it is this many eighths of the RTT old (QUIC's 9/8):
    /// longer than the path takes, shorter than a timeout.
    public var lossTimeThresholdEighths: Int64 = 9
    /// Segments in flight beyond the other side's count. The receiver holds at least this many, so it never
    /// has to throw away a segment the sender was allowed to send.
    public var sendWindow: UInt64 = 2048
    /// Out-of-order segments the receiver keeps. Anything further ahead is rejected as beyond the window.
    public var receiveWindow: UInt64 = 4096
    /// A handshake's initiation is repeated this many times at `initialRetransmissionTimeout` before its interval
    /// starts doubling: through the first second a lost initiation or response (one handshake in five at 10% loss)
    /// most likely met bad luck, not an absent peer, and waiting 400 then 800 ms for it kept a joiner out of a group
    /// for 1.4 s in one seed in a hundred.
    public var initiationsBeforeBackoff = 4
    /// Heartbeat period while nothing is heard: slow, because idle peers should cost nearly nothing.
    public var heartbeatInterval = TimeSpan.milliseconds(1500)
    /// After a ping goes unanswered, ping again this often until something is heard: at 30% loss each way a dozen
    /// tries before the other side is shown as unreachable fail together about once in 6,000 silences.
    public var unansweredPingInterval = TimeSpan.milliseconds(250)
    /// Silent heartbeat periods before the other side is shown as unreachable.
    public var silentIntervalsBeforeDown: Int64 = 3
    /// After a conversation completes, stay this many retransmission timeouts answering late datagrams
    /// (clamped to `closeQuietMinimum...maximumRetransmissionTimeout`), so the last acknowledgement can be repaired.
    public var closeQuietTimeouts: Int64 = 4
    /// Goodbyes said again after the first, one retransmission timeout apart, unless the other side says goodbye:
    /// at 30% loss each way the chance that all five and every answer to a late replay are lost is about 1 in 10^4.
    public var goodbyeRepeats = 4
    /// The shortest such wait.
    public var closeQuietMinimum = TimeSpan.seconds(1)
    /// Until a run has proven itself, everything sent in reply to it stays within this many times the bytes it
    /// sent (QUIC's anti-amplification limit), so a forged datagram cannot turn us into an amplifier.
    public var amplificationFactor = 3
    /// A run not yet proven is challenged again once a retransmission timeout has passed without its answer
    /// (the challenge or the answer may have been lost), but never more often than this...
    public var challengeRepeatInterval = TimeSpan.milliseconds(25)
    /// ...and challenges to all such runs leave at most one per this on average, in bursts of at most
    /// `challengeBurst`, so a flood of forged claims costs at most a hundred small PINGs a second.
    public var challengeSpacing = TimeSpan.milliseconds(10)
    /// See `challengeSpacing`.
    public var challengeBurst = 16
    /// A challenge's answer proves a run only this long after the challenge left: more than any round trip.
    public var challengeLifetime = TimeSpan.seconds(10)
    /// Runs remembered at once as claimants (and as retired runs): enough for a restart amid forgeries, and a
    /// bound on what a flood of invented identities can make us keep.
    public var maxClaimants = 16
    /// What a run not yet proven sent is kept, up to this many bytes a run (and `maxClaimants` runs), until it
    /// answers its challenge: then it need not be sent again. Beyond it, its datagrams are dropped (its sender
    /// repeats them).
    public var maxHeldForProofBytes = 256 * 1024
    /// Heartbeat PINGs remembered while they wait for their PONG (2 s of unanswered pings at their fastest
    /// pace); a PONG answering none of them (nor a challenge) measures nothing and proves nothing.
    public var maxOutstandingPings = 8

    /// The defaults.
    public init() {}

    /// The defaults, by name.
    public static let standard = Tunables()
}
