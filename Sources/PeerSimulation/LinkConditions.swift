import PeerSession

/// What a simulated one-way link does to each datagram.
public struct LinkConditions: Sendable, Equatable {
    /// Fixed one-way delay.
    public var delay: TimeSpan
    /// Probability that a datagram is lost.
    public var loss: Double
    /// Probability that a datagram arrives twice (the copy one millisecond later).
    public var duplicate: Double
    /// Probability that a datagram is held back so later ones overtake it.
    public var reorder: Double

    /// Collects the conditions; all default to a perfect 1 ms link.
    public init(delay: TimeSpan = .milliseconds(1), loss: Double = 0, duplicate: Double = 0, reorder: Double = 0) {
        self.delay = delay
        self.loss = loss
        self.duplicate = duplicate
        self.reorder = reorder
    }
}
