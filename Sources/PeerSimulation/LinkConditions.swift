import PeerSession

/// What a simulated one-way link does to each datagram.
public struct LinkConditions: Sendable, Equatable, CustomStringConvertible {
    /// Fixed one-way delay.
    public var delay: TimeSpan
    /// Probability that a datagram is lost.
    public var loss: Double
    /// Probability that a datagram arrives twice.
    public var duplicate: Double
    /// Probability that a datagram is held back until the next one has overtaken it.
    public var reorder: Double

    /// Collects the conditions; all default to a perfect 1 ms link.
    public init(delay: TimeSpan = .milliseconds(1), loss: Double = 0, duplicate: Double = 0, reorder: Double = 0) {
        self.delay = delay
        self.loss = loss
        self.duplicate = duplicate
        self.reorder = reorder
    }

    /// `delay 20ms, loss 0.2, duplicate 0.1, reorder 0`: for test names and reports.
    public var description: String {
        "delay \(delay), loss \(loss), duplicate \(duplicate), reorder \(reorder)"
    }

    /// The same conditions as a stage of impairments: the delay is the link's, fixed.
    public var impairments: Impairments {
        Impairments(drop: loss, duplicate: duplicate, reorder: reorder, delay: delay)
    }
}
