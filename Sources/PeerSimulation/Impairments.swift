import PeerSession

/// What to do to outgoing datagrams, to see the protocol cope: loss, duplication, reordering and delay.
public struct Impairments: Sendable, Equatable {
    /// Probability of throwing a datagram away.
    public var drop: Double
    /// Probability of sending a datagram twice.
    public var duplicate: Double
    /// Probability of holding a datagram back and sending it after the next one.
    public var reorder: Double
    /// Delay added to every datagram.
    public var delay: TimeSpan
    /// Up to this much more delay, uniformly at random.
    public var jitter: TimeSpan

    /// Collects the impairments; all default to none.
    public init(drop: Double = 0, duplicate: Double = 0, reorder: Double = 0, delay: TimeSpan = .zero,
                jitter: TimeSpan = .zero) {
        self.drop = drop
        self.duplicate = duplicate
        self.reorder = reorder
        self.delay = delay
        self.jitter = jitter
    }

    /// Whether anything is impaired at all.
    public var isEmpty: Bool { drop == 0 && duplicate == 0 && reorder == 0 && delay == .zero && jitter == .zero }
}

/// Applies `Impairments` to a stream of outgoing datagrams, deterministically from a seed: a small sans-I/O
/// stage between the protocol and the socket. Feed each datagram to `submit`, send what `due` releases, and wake
/// up at `nextRelease()`.
public struct ImpairmentStage<Payload: Sendable>: Sendable {
    /// What happened to a submitted datagram, for the log.
    public enum Fate: Sendable, Equatable {
        /// Thrown away.
        case dropped
        /// Will be sent twice.
        case duplicated
        /// Held back until after the next datagram.
        case reordered
        /// Will be sent after this long.
        case delayed(TimeSpan)
    }

    private let impairments: Impairments
    private var random: SeededGenerator
    /// A datagram waiting to be overtaken, with the delay it was given.
    private var heldBack: (payload: Payload, since: Instant, delay: TimeSpan)?
    private var scheduled = EventHeap<Payload>()

    /// A stage applying `impairments`, its random choices drawn from `seed`.
    public init(impairments: Impairments, seed: UInt64) {
        self.impairments = impairments
        random = SeededGenerator(seed: seed)
    }

    /// How long a held-back datagram waits for a next one to overtake it before it goes anyway.
    public static var reorderPatience: TimeSpan { .milliseconds(5) }

    /// Takes a datagram to send at `now`; returns what was done to it (nothing: empty).
    public mutating func submit(_ payload: Payload, now: Instant) -> [Fate] {
        if random.chance(impairments.drop) { return [.dropped] }
        var fates: [Fate] = []
        var copies = [payload]
        if random.chance(impairments.duplicate) {
            copies.append(payload)
            fates.append(.duplicated)
        }
        var delay = impairments.delay
        if impairments.jitter > .zero {
            delay = delay + TimeSpan(microseconds: Int64(random.next() % UInt64(impairments.jitter.microseconds + 1)))
        }
        if delay > .zero { fates.append(.delayed(delay)) }
        let overtaken = heldBack
        heldBack = nil
        if random.chance(impairments.reorder), overtaken == nil {
            heldBack = (copies.removeFirst(), now, delay)
            fates.append(.reordered)
        }
        for copy in copies { scheduled.push((now + delay).microseconds, copy) }
        // Whatever was held back goes right after this datagram: it has been overtaken.
        if let overtaken { scheduled.push((now + delay).microseconds, overtaken.payload) }
        return fates
    }

    /// The datagrams whose time has come, in order.
    public mutating func due(now: Instant) -> [Payload] {
        if let held = heldBack, now >= held.since + Self.reorderPatience {
            heldBack = nil
            scheduled.push((held.since + Self.reorderPatience + held.delay).microseconds, held.payload)
        }
        var released: [Payload] = []
        while let key = scheduled.nextKey, key <= now.microseconds, let (_, payload) = scheduled.pop() {
            released.append(payload)
        }
        return released
    }

    /// When `due` next has something to release.
    public func nextRelease() -> Instant? {
        let heldDeadline = heldBack.map { $0.since + Self.reorderPatience }
        let scheduledDeadline = scheduled.nextKey.map { Instant(microseconds: $0) }
        switch (heldDeadline, scheduledDeadline) {
        case let (held?, timed?): return min(held, timed)
        case let (held?, nil): return held
        case let (nil, timed?): return timed
        case (nil, nil): return nil
        }
    }
}
