import PeerSession

/// Tells where the original's replay bursts begin and end.
///
/// The original replays its *whole* log, in order and without pacing, each time one of our first transmissions
/// carries a count that differs from its number of sent messages: a burst. Its replays carry no number, only
/// text, and any of them may be lost, so where a burst starts has to be inferred:
///
/// - **A new burst** starts with a replay when no burst is under way: the first replay ever, a first
///   transmission arrived since the last replay (a burst ends before the original's next line), or more than
///   `burstGap` passed since the last replay (a burst arrives back to back).
/// - **Bursts back to back.** If several of our lines reach the original before it is in step, it sends one
///   burst per line, with no gap: the next burst begins again at the start of its log. So a replay that goes
///   back in the log (to a line the burst has already passed) starts a new burst, but only while one of our first
///   transmissions from the last `burstAnswerWindow` has not yet been answered by a burst (each burst start uses
///   one up), since only our first transmissions trigger bursts. Otherwise it is a replay out of place (forged,
///   or a repeated text) and says nothing about order.
struct ReplayBurstTracker: Sendable {
    /// The most of our first transmissions awaiting an answer that are remembered: we send them, so this bounds
    /// only a very fast typist's paste, and forgetting one merely reads a back-to-back burst as out of place.
    static let maxUnanswered = 64

    private var active = false
    private var lastReplayAt: Instant?
    /// When each of our first transmissions that has not been answered by a burst stops being able to, in order.
    private var unanswered: [Instant] = []

    /// One of our first transmissions left: it may trigger a burst until `deadline`.
    mutating func noteTrigger(until deadline: Instant) {
        unanswered.append(deadline)
        if unanswered.count > Self.maxUnanswered { unanswered.removeFirst(unanswered.count - Self.maxUnanswered) }
    }

    /// A first transmission from the original arrived: whatever burst was arriving is over.
    mutating func endBurst() {
        active = false
    }

    /// When the burst under way, if any, counts as over for lack of replays.
    func burstEnds(gap: TimeSpan) -> Instant? {
        guard active, let lastReplayAt else { return nil }
        return lastReplayAt + gap
    }

    /// A replay arrived at `now`: whether it starts a new burst (none under way, or `gap` of quiet before it).
    mutating func replayStartsBurst(now: Instant, gap: TimeSpan) -> Bool {
        unanswered.removeAll { $0 < now }
        let starts = !active || (lastReplayAt.map { now - $0 > gap } ?? true)
        active = true
        lastReplayAt = now
        if starts, !unanswered.isEmpty { unanswered.removeFirst() }
        return starts
    }

    /// A replay went back in the log: whether that is the start of the next burst, back to back. It is while one of
    /// our first transmissions may still be answered, and that uses it up.
    mutating func wentBackStartsBurst() -> Bool {
        guard !unanswered.isEmpty else { return false }
        unanswered.removeFirst()
        return true
    }
}
