import PeerSession

/// Tells, for each replayed datagram from the original, whether we already show that message.
///
/// The original replays its *whole* log, in order and without pacing, each time one of our first transmissions
/// carries a count that differs from its number of sent messages: a burst. Its replays carry no number, only
/// text, and any of them may be lost, so a burst is recognised by counting texts rather than by position:
///
/// - **Matching.** Within one burst, the k-th replay of a text is the k-th message with that text in the
///   original's log. If we already show at least k messages with that text, it is a duplicate (the k-th of
///   them); if we show none, it is new (we missed its first transmission) and is shown. Counting instead of
///   position makes lost replays harmless: a missing datagram shifts nothing.
/// - **Where a burst starts.** A replay starts a new burst when no burst is under way: it is the first replay
///   ever, a first transmission arrived since the last replay (a burst ends before the original's next line),
///   or more than `burstGap` passed since the last replay (a burst arrives back to back).
/// - **Bursts back to back.** If several of our lines reach the original before it is in step, it sends one
///   burst per line, with no gap. The next burst's first replay is the original's first message, so a text
///   repeated more often than we show it (for a distinct text: seen twice) normally means the next burst
///   began, even if its first replays were lost. But it can also be a line the original typed again whose
///   first transmission we missed. We read it as a new burst only while one of our first transmissions from
///   the last `burstAnswerWindow` has not yet been answered by a burst (each burst start uses one up), since
///   only our first transmissions trigger bursts; otherwise we show it and say that it may be shown twice:
///   a line shown twice is better than a line lost.
struct ReplayBurstTracker: Sendable {
    /// What one replayed datagram is.
    enum Verdict: Equatable {
        /// Already shown: the `occurrence`-th message with this text (1-based).
        case duplicate(occurrence: Int)
        /// Not shown yet: we never received it.
        case new
        /// Shown again although it may be a duplicate: the burst repeats this text more often than we show it,
        /// and no unanswered line of ours explains a new burst.
        case uncertain
    }

    /// How many replays of each text the current burst has carried so far.
    private var seen: [String: Int] = [:]
    private var active = false
    private var lastReplayAt: Instant?
    /// When each of our first transmissions that has not been answered by a burst stops being able to, in order.
    private var unanswered: [Instant] = []

    /// One of our first transmissions left at `now`: it may trigger a burst until `deadline`.
    mutating func noteTrigger(until deadline: Instant) {
        unanswered.append(deadline)
    }

    /// A first transmission from the original arrived: whatever burst was arriving is over.
    mutating func endBurst() {
        active = false
        seen = [:]
    }

    /// Judges a replayed datagram carrying `text`, of which we show `shown` messages so far.
    mutating func judge(_ text: String, shown: Int, now: Instant, gap: TimeSpan) -> Verdict {
        unanswered.removeAll { $0 < now }
        if !active || (lastReplayAt.map { now - $0 > gap } ?? true) { startBurst() }
        active = true
        lastReplayAt = now
        let occurrence = seen[text, default: 0] + 1
        if occurrence <= shown {
            seen[text] = occurrence
            return .duplicate(occurrence: occurrence)
        }
        if shown == 0 {
            seen[text] = occurrence
            return .new
        }
        if !unanswered.isEmpty {
            startBurst()
            seen[text] = 1
            return .duplicate(occurrence: 1)
        }
        seen[text] = occurrence
        return .uncertain
    }

    private mutating func startBurst() {
        seen = [:]
        if !unanswered.isEmpty { unanswered.removeFirst() }
    }
}
