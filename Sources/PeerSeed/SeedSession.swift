import PeerSession
import PeerWire

/// One side of a conversation with an *original* classroom client, speaking its wire format (`--wire seed`):
/// a sans-I/O core like `Session`, driven the same way (see `MessengerCore`).
///
/// The original sends `TEXT -COUNT` (COUNT: first transmissions it has received from us) and, whenever one of
/// ours carries a count other than its number of sent messages, replays its whole log as `TEXT -resend`. It
/// has no names, no heartbeat, no session identity and no end signal, and `split('-')` kills it on a `-`.
/// This core keeps it alive and makes the best of what it says:
///
/// - **Sending.** Each line leaves as `TEXT -COUNT` from the send socket, COUNT being how many of the
///   original's messages we show. A `-` in the text becomes U+2010 (‐) first (logged), and a line longer than a
///   datagram the original can read becomes several messages, cut on character boundaries (`SeedText`).
/// - **Receiving.** Datagrams longer than the original can send (1024 bytes) are refused. Each line is held
///   back until its place in the original's order is settled, at most `holdLimit`, so that a line we missed and
///   recover from a replay burst is shown in its place (`OriginalLog`; burst boundaries: `ReplayBurstTracker`).
///   A text is shown once: every later datagram with it is a duplicate. Held lines are counted.
/// - **Repairing.** The original's COUNT says *how many* of our messages arrived, never *which*, and never
///   counts replays, so after one loss it trails ours for ever. So counts are used as evidence only when
///   nothing of ours can be in flight: no first transmission of ours left within `roundTripAllowance` (twice
///   the round trip measured from the original's own replay bursts, or 100 ms until one is seen) before the
///   count arrived. Then the count covers all `sent` messages of ours, and `sent - COUNT` of them are
///   missing. Messages go missing for good, so when that deficit grows between two such counts, the new
///   losses are among the messages sent in between: those become suspects (a `SuspectGroup`). Each count
///   that still shows a deficit replays each suspect once more, fewest replays first, within the group's budget
///   (one per suspect, plus `maxReplaysPerMessage - 1` per missing message), never more than
///   `maxReplaysPerMessage` times in all, and never within `replaySpacing` of its previous transmission (a
///   replay asked for sooner waits for that deadline). When the original types between most of our lines, an
///   interval holds one or two messages and the suspects are the lost ones; after a long monologue the
///   interval is long and each of its messages is replayed about once.
/// - **What cannot be done.** Only the original's first transmissions carry counts: while it types nothing,
///   nothing of ours is repaired, and nothing asks it to repair its own losses until we type (each of our
///   lines carries our count, which makes it replay). There is no heartbeat to send instead.
/// - **Ending.** After `finishInput` the session closes once nothing has been heard for `linger`;
///   `everythingAcknowledged` is whether the original's latest count equals the number of messages we sent.
///   After any loss it never will, since replays are not counted: the original cannot tell us more, and
///   `unconfirmed` names the lines it did not confirm. Held lines are shown before the session closes.
/// - **Bounded.** Every table is bounded whatever the original (or a forger) sends: held lines (`maxHeld`),
///   remembered texts (`textMemory`), suspects (`maxSuspectGroups`), our lines awaiting an answer (64).
public struct SeedSession: MessengerCore {
    /// The longest line `submit` accepts, in UTF-8 bytes: the same limit as `Session`'s.
    public static let maxMessageBytes = Session.maxMessageBytes
    /// The most intervals of suspects kept, and of losses remembered for `unconfirmed`: a count from the original
    /// adds one only when its deficit grows, so this takes at least as many of our lines lost.
    public static let maxSuspectGroups = 256

    let configuration: SeedConfiguration

    // MARK: Sending side
    var outgoing: [SeedOutgoingMessage] = []
    /// Index in `outgoing` of the first message not yet transmitted.
    var nextToSend = 0
    /// The shortest time seen between one of our first transmissions and the start of the replay burst it set
    /// off: the original answers at once, so this is the round trip, measured without any help from it.
    var measuredRoundTrip: TimeSpan?
    /// When the last replay from the original arrived, to tell where a burst starts.
    var lastReplayArrival: Instant?
    /// When our latest first transmission left: a count arriving soon after may not include it.
    var lastFirstTransmissionAt: Instant?
    var replayQueue = FIFO<Int>()
    /// Messages the original's counts showed it may lack, by interval, that may still be replayed.
    var suspectGroups: [SuspectGroup] = []
    /// Indices of messages whose replay waits for `replaySpacing` (their `dueAt`).
    var waiting: [Int] = []
    /// The highest count the original has sent: how many of our first transmissions it has received.
    var peerCount: UInt64?
    /// Our messages covered by the last count used as evidence, and how many of them it showed missing.
    var evidenceCovered = 0
    var evidenceDeficit = 0
    /// Intervals where a count showed messages missing, kept for `unconfirmed` (oldest dropped beyond the cap).
    var losses: [SuspectGroup] = []
    var lossesForgotten = 0
    var localFinished = false
    var finishedAt: Instant?

    // MARK: Receiving side
    /// The original's lines: held, placed, shown once.
    var log: OriginalLog
    var bursts = ReplayBurstTracker()
    var lastHeard: Instant?

    // MARK: Outputs
    var deliveries = FIFO<Delivery>()
    var events = FIFO<Event>()
    /// Which categories of event to build; the rest are never built. All by default.
    public var recordedCategories: Set<EventCategory> = Set(EventCategory.allCases)
    /// Where the conversation is in its life: open until closed (there is no closing handshake).
    public internal(set) var state: SessionState = .open
    /// Counters for the summary. `acknowledged` is the original's latest count.
    public internal(set) var statistics = SessionStatistics()

    /// Starts a session at `now`. Unlike `Session` it sends nothing on its own: the original has no heartbeat
    /// to answer and would print anything we sent.
    public init(configuration: SeedConfiguration, now: Instant) {
        self.configuration = configuration
        log = OriginalLog(holdLimit: configuration.holdLimit, maxHeld: configuration.maxHeld,
                          memoryCapacity: configuration.textMemory)
    }

    // MARK: Queries

    /// The name shown on the original's messages.
    public var otherName: String { configuration.peerName }
    /// Whether to hand over more input: until input ends or the session closes. The original has no flow
    /// control to respect and each line leaves at once, so nothing piles up here.
    public var acceptsInput: Bool { !localFinished && state == .open }
    /// How many of the original's messages we have, shown or held back: the COUNT our datagrams carry.
    public var count: UInt64 { log.receivedCount }
    /// How many of the original's messages are held back, not shown yet.
    public var heldCount: Int { log.heldCount }
    /// How many messages (lines, or pieces of long lines) we have queued: the original's count to reach.
    public var messagesQueued: Int { outgoing.count }

    // MARK: Inputs

    /// Queues a line. A `-` becomes `‐` (U+2010), which the original can carry; a line longer than
    /// `SeedDatagram.maxTextBytes` becomes several messages.
    /// - Throws: `SubmitError.tooLong` beyond `maxMessageBytes`; `.inputFinished` after `finishInput` or once
    ///   the session is closed.
    public mutating func submit(_ text: String, now: Instant) throws(SubmitError) {
        guard acceptsInput else { throw .inputFinished }
        let length = text.utf8.count
        guard length <= Self.maxMessageBytes else { throw .tooLong(bytes: length) }
        let (safe, replaced) = SeedText.protectingHyphens(text)
        let first = UInt64(outgoing.count + 1)
        let pieces = SeedText.pieces(of: safe)
        for piece in pieces { outgoing.append(SeedOutgoingMessage(text: piece)) }
        statistics.messagesSent += 1
        statistics.segmentsSent += UInt64(pieces.count)
        if replaced > 0 {
            note("replaced \(replaced) '-' with '\u{2010}', as the original client crashes on '-'",
                 sequence: UInt64(first))
        }
    }

    /// The user's input has ended: close once the original has been silent for `linger`.
    public mutating func finishInput(now: Instant) {
        guard !localFinished else { return }
        localFinished = true
        finishedAt = now
        record(.finish(side: .local, segments: UInt64(outgoing.count)))
    }

    /// Ends the session at once: nothing more is sent.
    public mutating func interrupt(now: Instant) {
        close(.interrupted)
    }

    /// Acts on every deadline that has passed: replays whose spacing has run out, held lines to show, the end of
    /// a burst, and the end of lingering.
    public mutating func handleTimeout(now: Instant) {
        if case .closed = state { return }
        if log.hasFloating, let end = bursts.burstEnds(gap: configuration.burstGap), end <= now { log.burstEnded() }
        showSettled(now: now)
        waiting.removeAll { index in
            guard let due = outgoing[index].dueAt, due <= now else { return false }
            outgoing[index].dueAt = nil
            outgoing[index].queued = true
            replayQueue.push(index)
            return true
        }
        if let deadline = lingerDeadline, now >= deadline { close(.lingerExpired) }
    }

    // MARK: Outputs

    /// The next of the original's messages to show.
    public mutating func pollDelivery() -> Delivery? { deliveries.pop() }

    /// The next decision to log.
    public mutating func pollEvent() -> Event? { events.pop() }

    /// When `handleTimeout` is next needed: the earliest spaced replay, held line to show, end of a burst placing
    /// lines, or the end of lingering; nil when closed. Call again after every input.
    public func nextTimeout() -> Instant? {
        if case .closed = state { return nil }
        var deadline = [lingerDeadline, log.nextDeadline()].compactMap { $0 }.min()
        if log.hasFloating, let end = bursts.burstEnds(gap: configuration.burstGap) {
            deadline = min(deadline ?? end, end)
        }
        for index in waiting {
            if let due = outgoing[index].dueAt { deadline = min(deadline ?? due, due) }
        }
        return deadline
    }

    // MARK: Helpers

    /// After input ended, give up once nothing has been heard for the linger time.
    var lingerDeadline: Instant? {
        guard state == .open, localFinished, let finishedAt else { return nil }
        return max(lastHeard ?? finishedAt, finishedAt) + configuration.linger
    }

    func isRecorded(_ category: EventCategory) -> Bool { recordedCategories.contains(category) }

    mutating func record(_ event: Event) {
        if isRecorded(event.category) { events.push(event) }
    }

    /// Logs something worth knowing that is neither a repair nor a reject: a rewritten line, a line that may be
    /// shown twice.
    mutating func note(_ reason: String, sequence: UInt64?) {
        if isRecorded(.repair) { record(.note(sequence: sequence, reason: reason)) }
    }

    mutating func close(_ reason: SessionOutcome.Reason) {
        if case .closed = state { return }
        // Held lines are ours to show: the conversation is over, there is nothing left to wait for.
        log.releaseAll()
        deliverReleased()
        if let unconfirmed { note("not confirmed by the original: \(unconfirmed)", sequence: nil) }
        let outcome = SessionOutcome(
            everythingAcknowledged: (peerCount ?? 0) == UInt64(outgoing.count), reason: reason)
        state = .closed(outcome)
        record(.close(outcome: outcome))
    }

    /// How long after one of our first transmissions a replay burst answering it may begin: its silence until
    /// then settles the lines we held when it left.
    var quietWindow: TimeSpan {
        max(configuration.roundTripAllowance, (measuredRoundTrip ?? .zero) * 2)
    }

    /// How long after our last first transmission a count from the original may still not include it: twice the
    /// measured round trip (at least 2 ms), or `roundTripAllowance` until one is measured, and never more.
    var roundTripAllowance: TimeSpan {
        guard let measuredRoundTrip else { return configuration.roundTripAllowance }
        return min(max(measuredRoundTrip * 2, .milliseconds(2)), configuration.roundTripAllowance)
    }
}
