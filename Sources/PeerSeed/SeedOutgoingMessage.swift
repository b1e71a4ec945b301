import PeerSession

/// One of our messages as the original will count it: a line, or one piece of a line longer than a datagram.
struct SeedOutgoingMessage: Sendable {
    /// The text bytes, already safe for the original (no `-`, at most `SeedDatagram.maxTextBytes`).
    var text: [UInt8]
    /// When it last left, first transmission or replay: replays are spaced from this.
    var lastSentAt: Instant?
    /// Replays so far.
    var replays = 0
    /// Waiting in the replay queue.
    var queued = false
    /// A replay the counts asked for, waiting until the spacing since its last transmission has passed.
    var dueAt: Instant?
}
