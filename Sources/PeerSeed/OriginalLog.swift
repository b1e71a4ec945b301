import PeerSession

/// The original's lines as we know them: which we show, which we hold back, and in what order, each shown once.
///
/// The original's lines carry no number, so a line missed and recovered later from a replay burst has no place
/// of its own; but a burst is the original's *whole* log, in order, so the lines of a burst that survive tell
/// each other's order. Lines are therefore **held** for a while before they are shown, so that a burst can put
/// a recovered line before them:
///
/// - **Only where lines go missing.** A line is held only if datagrams were seen going missing in the last
///   `lossMemory` (`noteLoss`, or a replay bringing a line we never had); otherwise it is shown at once.
/// - **Held until settled.** A line that arrives (a first transmission, or a replay of a line we never had) is
///   held until one of these, whichever comes first:
///   - *quiet*: two of our first transmissions left after we learned of the line, and no replay burst began
///     within the answer window after either. The original replays on every count that differs from its number
///     of lines, and our count includes every line we hold, so its silence says we had all its lines then
///     (unless our line was lost, hence two);
///   - *time*: `holdLimit` passed since we learned of it;
///   - *overflow*: more than `maxHeld` lines are held (the oldest goes), so memory stays bounded.
///   Held lines are shown front to back: showing a line shows every held line placed before it.
/// - **Placed by bursts.** Within one burst, lines we never had *float* until the burst reaches a line we know:
///   they go just before it. A burst that ends first puts them after everything held (a held line after the
///   previous line we know, whose replay the burst lost, may come before them; arrival order is the best guess).
///   A held line that a burst puts after another (the *anchor*, the last line we know that it replayed) is moved
///   there: the burst is the original's own order.
/// - **Late.** When a burst puts a held line before a line already shown, it is too late to show it in its
///   place: it, and every held line before it, is shown at once, marked late.
/// - **Once.** A text we show or hold is never shown again: every later datagram with it is a duplicate, be it
///   a replay, a forged one, or the original typing the very same line again (that one is lost to us: a text
///   shown twice is what the original's replays would otherwise cause). Shown texts are remembered in a
///   `TextMemory` of `memoryCapacity`.
struct OriginalLog: Sendable {
    /// One of the original's lines that is not shown yet.
    struct Line: Sendable {
        var text: String
        var fingerprint: Int
        /// When we learned of it: quiet answers to our lines sent later settle it.
        var learnedAt: Instant
        /// When it is shown at the latest.
        var releaseBy: Instant
    }

    /// A line handed over to be shown.
    struct Release: Sendable, Equatable {
        var text: String
        /// Its position among the lines shown (1-based): our count once it is shown.
        var position: UInt64
        /// Shown after a line that, by the original's replays, comes after it.
        var late: Bool
    }

    /// What one datagram from the original was.
    enum Verdict: Equatable {
        /// A line we did not have: it is held (or shown at once, without a hold).
        case new
        /// A text we show or hold: dropped. `position` is where it is (or will be) shown, 0 if not yet known.
        case duplicate(position: UInt64)
    }

    private enum Anchor: Equatable {
        case none
        case shown(UInt64)
        case held(fingerprint: Int)
    }

    private struct QuietCheck: Sendable {
        var sentAt: Instant
        var deadline: Instant
    }

    /// Our first transmissions whose quiet answer is awaited: bounded like the tracker's triggers.
    static let maxQuietChecks = 64

    let holdLimit: TimeSpan
    let maxHeld: Int
    private var held: [Line] = []
    private var floating: [Line] = []
    private var memory: TextMemory
    private var anchor = Anchor.none
    private var quietChecks: [QuietCheck] = []
    /// When our latest lines answered by silence (since the last burst) left, oldest first.
    private var quietAnswers: [Instant] = []
    /// One silent answer is not enough: our line may have been lost, and then its silence says nothing. Two
    /// are wrong only if both were lost (9% at 30% loss); see docs/PROTOCOL.md for what each choice measured.
    static let quietAnswersNeeded = 2
    /// How long after the last sign of loss (a line recovered from a replay, or a count showing one of ours
    /// missing) new lines are held.
    static let lossMemory = TimeSpan.seconds(60)
    private var released = FIFO<Release>()
    /// When a replay last brought a line we never had.
    private var lossSeenAt: Instant?
    /// How many lines are shown.
    private(set) var shownCount: UInt64 = 0

    init(holdLimit: TimeSpan, maxHeld: Int, memoryCapacity: Int) {
        self.holdLimit = holdLimit
        self.maxHeld = max(0, maxHeld)
        memory = TextMemory(capacity: memoryCapacity)
    }

    /// Lines we have, shown or not: the count our datagrams carry.
    var receivedCount: UInt64 { shownCount + UInt64(held.count + floating.count) }

    /// Lines received but not shown yet.
    var heldCount: Int { held.count + floating.count }

    /// Whether some recovered lines wait for their burst to place them.
    var hasFloating: Bool { !floating.isEmpty }

    /// The next line to show, in order.
    mutating func nextRelease() -> Release? { released.pop() }

    // MARK: Inputs

    /// A first transmission from the original: a new line goes after every line held.
    mutating func firstTransmission(_ text: String, now: Instant) -> Verdict {
        burstEnded()
        let fingerprint = TextMemory.fingerprint(text)
        if let position = position(of: fingerprint) { return .duplicate(position: position) }
        held.append(line(text, fingerprint, now: now))
        enforceLimit()
        return .new
    }

    /// A replay from the original; `startsBurst` says whether the tracker reads it as the start of a burst.
    mutating func replay(
        _ text: String, now: Instant, startsBurst: Bool, tracker: inout ReplayBurstTracker
    ) -> Verdict {
        if startsBurst { beginBurst() }
        let fingerprint = TextMemory.fingerprint(text)
        if let index = held.firstIndex(where: { $0.fingerprint == fingerprint }) {
            return replayOfHeld(at: index, tracker: &tracker)
        }
        if let position = memory.position(of: fingerprint) {
            replayOfShown(at: position, tracker: &tracker)
            return .duplicate(position: position)
        }
        if floating.contains(where: { $0.fingerprint == fingerprint }) { return .duplicate(position: 0) }
        // Its place is after the anchor, but a held line after the anchor whose replay this burst lost may come
        // before or after it: the next line of the burst that we know says where it stops.
        lossSeenAt = now
        floating.append(line(text, fingerprint, now: now))
        // Without a hold nothing waits for its place: it is shown as it arrives.
        if holdLimit <= .zero { burstEnded() }
        enforceLimit()
        return .new
    }

    /// Something of ours went missing at `now` (the original's count showed it): the network loses datagrams, so
    /// its lines too may go missing and are held from now on.
    mutating func noteLoss(now: Instant) {
        lossSeenAt = now
    }

    /// The burst under way, if any, is over: lines it left floating go after everything held.
    mutating func burstEnded() {
        held += floating
        floating = []
        anchor = .none
        enforceLimit()
    }

    /// One of our first transmissions left at `now`; a burst answering it would begin within `window`.
    mutating func sentFirstTransmission(now: Instant, window: TimeSpan) {
        quietChecks.append(QuietCheck(sentAt: now, deadline: now + window))
        if quietChecks.count > Self.maxQuietChecks { quietChecks.removeFirst(quietChecks.count - Self.maxQuietChecks) }
    }

    /// Shows what is settled by `now`: lines past their hold, and lines a quiet answer settled.
    mutating func releaseDue(now: Instant) {
        quietChecks.removeAll { check in
            guard check.deadline <= now else { return false }
            quietAnswers.append(check.sentAt)
            return true
        }
        if quietAnswers.count > Self.quietAnswersNeeded {
            quietAnswers.removeFirst(quietAnswers.count - Self.quietAnswersNeeded)
        }
        let settledBefore = quietAnswers.count >= Self.quietAnswersNeeded ? quietAnswers.first : nil
        guard let last = held.lastIndex(where: { line in
            line.releaseBy <= now || settledBefore.map { line.learnedAt <= $0 } == true
        }) else { return }
        show(through: last, late: false)
    }

    /// Shows every line held or floating, in order: the conversation is over.
    mutating func releaseAll() {
        burstEnded()
        if !held.isEmpty { show(through: held.count - 1, late: false) }
    }

    /// When `releaseDue` next has something to do, if anything is held.
    func nextDeadline() -> Instant? {
        guard !held.isEmpty else { return nil }
        let hold = held.map(\.releaseBy).min()
        let quiet = quietChecks.map(\.deadline).min()
        return [hold, quiet].compactMap { $0 }.min()
    }

    // MARK: Placing

    private mutating func beginBurst() {
        burstEnded()
        // A burst answers a line of ours: its silence is no longer evidence, whichever line it answers.
        quietChecks = []
        quietAnswers = []
    }

    private mutating func replayOfHeld(at index: Int, tracker: inout ReplayBurstTracker) -> Verdict {
        var index = index
        let fingerprint = held[index].fingerprint
        if case .held(let previous) = anchor, let anchorIndex = held.firstIndex(where: { $0.fingerprint == previous }),
           index <= anchorIndex {
            if tracker.wentBackStartsBurst() {
                beginBurst()
                if let moved = held.firstIndex(where: { $0.fingerprint == fingerprint }) { index = moved }
            } else if index < anchorIndex {
                // The original's order: this line comes after the anchor.
                let line = held.remove(at: index)
                held.insert(line, at: anchorIndex)
                index = anchorIndex
            }
        }
        if !floating.isEmpty {
            // Replays before the first line we know come just before it.
            held.insert(contentsOf: floating, at: index)
            index += floating.count
            floating = []
        }
        anchor = .held(fingerprint: fingerprint)
        return .duplicate(position: shownCount + UInt64(index) + 1)
    }

    private mutating func replayOfShown(at position: UInt64, tracker: inout ReplayBurstTracker) {
        switch anchor {
        case .shown(let previous) where position <= previous:
            if tracker.wentBackStartsBurst() {
                beginBurst()
                anchor = .shown(position)
            }
        case .held(let previous):
            if tracker.wentBackStartsBurst() {
                beginBurst()
            } else if let anchorIndex = held.firstIndex(where: { $0.fingerprint == previous }) {
                // The burst puts a held line before one already shown: too late for its place.
                show(through: anchorIndex, late: true)
            }
            anchor = .shown(position)
        default:
            anchor = .shown(position)
        }
        if !floating.isEmpty {
            held.insert(contentsOf: floating, at: 0)
            let count = floating.count
            floating = []
            show(through: count - 1, late: true)
        }
    }

    // MARK: Helpers

    /// A new line, held for `holdLimit` if datagrams were seen going missing in the last `lossMemory`, else not at
    /// all: holding costs every line its delay, and helps only where lines go missing.
    private func line(_ text: String, _ fingerprint: Int, now: Instant) -> Line {
        let holding = lossSeenAt.map { now - $0 <= Self.lossMemory } ?? false
        return Line(text: text, fingerprint: fingerprint, learnedAt: now, releaseBy: now + (holding ? holdLimit : .zero))
    }

    /// Where a text is or will be shown, if we show or hold it.
    private func position(of fingerprint: Int) -> UInt64? {
        if let index = held.firstIndex(where: { $0.fingerprint == fingerprint }) {
            return shownCount + UInt64(index) + 1
        }
        if floating.contains(where: { $0.fingerprint == fingerprint }) { return 0 }
        return memory.position(of: fingerprint)
    }

    /// Shows the oldest lines while more than `maxHeld` are held or floating.
    private mutating func enforceLimit() {
        while held.count + floating.count > maxHeld {
            if held.isEmpty {
                held = floating
                floating = []
                anchor = .none
            }
            show(through: min(held.count + floating.count - maxHeld, held.count) - 1, late: false)
        }
    }

    private mutating func show(through last: Int, late: Bool) {
        guard last >= 0, last < held.count else { return }
        for line in held[...last] {
            shownCount += 1
            memory.remember(line.fingerprint, at: shownCount)
            released.push(Release(text: line.text, position: shownCount, late: late))
        }
        held.removeFirst(last + 1)
        if case .held(let previous) = anchor, !held.contains(where: { $0.fingerprint == previous }) {
            anchor = .shown(shownCount)
        }
    }
}
