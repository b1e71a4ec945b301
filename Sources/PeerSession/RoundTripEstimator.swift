/// Smoothed round-trip time and its variation, and the retransmission timeout derived from them (RFC 6298).
public struct RoundTripEstimator: Sendable, Equatable {
    /// The smoothed round-trip time; nil until the first sample.
    public private(set) var smoothed: TimeSpan?
    /// The mean deviation of the samples.
    public private(set) var variation = TimeSpan.zero
    /// The most recent sample.
    public private(set) var latest: TimeSpan?
    private let tunables: Tunables

    /// An estimator with no samples yet.
    public init(tunables: Tunables) {
        self.tunables = tunables
    }

    /// Takes one measured round trip. Samples below zero (a clock that stepped) are ignored.
    public mutating func add(_ sample: TimeSpan) {
        guard sample >= .zero else { return }
        latest = sample
        guard let current = smoothed else {
            smoothed = sample
            variation = sample / 2
            return
        }
        let deviation = TimeSpan(microseconds: abs(current.microseconds - sample.microseconds))
        variation = (variation * 3 + deviation) / 4
        smoothed = (current * 7 + sample) / 8
    }

    /// `srtt + max(granularity, 4·rttvar)`, clamped to the configured floor and cap; the initial timeout before any
    /// sample.
    public var retransmissionTimeout: TimeSpan {
        guard let smoothed else { return tunables.initialRetransmissionTimeout }
        let raw = smoothed + max(tunables.granularity, variation * 4)
        return min(max(raw, tunables.minimumRetransmissionTimeout), tunables.maximumRetransmissionTimeout)
    }

    /// How long a replayed segment waits before it can be judged lost again: the round trip plus four times its
    /// variation (the retransmission timeout without its floor), and at least `lossDelay`. Under load the
    /// variation grows, and so does the wait, so reports that crossed the replay cannot set off another.
    public var replayLossDelay: TimeSpan {
        guard let smoothed else { return tunables.initialRetransmissionTimeout }
        return max(lossDelay, smoothed + max(tunables.granularity, variation * 4))
    }

    /// How old an unacknowledged segment must be, when a later one has arrived, before it is declared lost:
    /// 9/8 of the larger of the smoothed and latest round trip, and at least the clock granularity.
    public var lossDelay: TimeSpan {
        let reference = max(smoothed ?? tunables.initialRetransmissionTimeout, latest ?? .zero)
        return max(reference * tunables.lossTimeThresholdEighths / 8, tunables.granularity)
    }
}
