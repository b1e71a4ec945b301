import PeerWire

/// The protocol: one side of a conversation, as a pure state machine.
///
/// It does no I/O and reads no clock. Feed it what happens — `submit` a message the user typed, `receive` a
/// datagram from the destination host, `finishInput` at end of input, `handleTimeout` when `nextTimeout()` is
/// reached — each with the current time. After every such call, drain its outputs with `CoreDriver.drain`
/// (events, then deliveries, then datagrams: show before acknowledging), then sleep until `nextTimeout()` or the
/// next input. `state` says when it is over.
///
/// What it guarantees, whatever the network does: each of the other side's messages is delivered exactly once
/// and in order; a segment is replayed only when the other side's count or its `sack` report, or the
/// retransmission timer, shows it missing, and never twice within one loss delay; nothing outside the rules in
/// docs/PROTOCOL.md is acted on.
public struct Session: Sendable {
    /// The longest message `submit` accepts, in UTF-8 bytes.
    public static let maxMessageBytes = 1_000_000

    /// Who runs this session and how, as given when it started.
    public let configuration: SessionConfiguration
    let tunables: Tunables

    // MARK: Sending side
    var sendBuffer = SendBuffer()
    /// The first segment never transmitted; everything below it went out at least once.
    var nextToSend: UInt64 = 1
    /// The other side's count: our segments it has delivered in order.
    var acknowledged: UInt64 = 0
    var resendQueue = FIFO<UInt64>()
    var roundTrip: RoundTripEstimator
    var backoff: Int64 = 1
    var retransmitDeadline: Instant?
    var lossCheckDeadline: Instant?
    var sendOrderCounter: UInt64 = 0
    /// The latest `sendOrder` among segments known delivered: anything sent before it and still missing is
    /// suspect (RACK).
    var deliveredOrderMark: UInt64 = 0
    /// How far the latest report from the other side reaches; holes below it are known missing.
    var reportedThrough: UInt64 = 0
    var localFinished = false
    /// We leave once our end is acknowledged, without waiting for the other side's (`leave`).
    var leaving = false
    var finishedAt: Instant?
    /// Goodbyes still to repeat while closing, in case the first is lost.
    var goodbyesLeft = 0
    var goodbyeDeadline: Instant?

    // MARK: Receiving side
    var peer: SessionID?
    var peerName: String?
    /// The next of the other side's segments to deliver; `expected - 1` is our count.
    var expected: UInt64 = 1
    var window: ReceiveWindow
    var reassembly: [UInt8] = []
    var reassemblyNext = 1
    var reassemblyCount = 0
    /// The other side's end-of-input segment has been delivered: it will say nothing more.
    var peerFinished = false
    var peerSaidBye = false

    // MARK: Proving runs (Session+Runs.swift)
    /// Our receive side has taken its starting point from the current run's `base`.
    var resumed = false
    /// Heartbeat PINGs waiting for their PONG (challenges need no memory: their `ts` proves itself).
    var outstandingPings: [OutstandingPing] = []
    /// Runs that claim to be the other side and have not proven it, most recent last.
    var claimants: [Claimant] = []
    /// Challenges to send: PINGs addressed to these claimed runs.
    var challengesDue: [SessionID] = []
    /// Challenges we may still send now (refilled one per `challengeSpacing`, up to `challengeBurst`).
    var challengeTokens = 0
    var challengeTokensCountedAt: Instant?
    /// Runs of the other side that a later proven run replaced: they are gone for good.
    var retiredRuns: [SessionID] = []

    // MARK: Control
    var ackPending = false
    /// A PONG owed: the `ts` to echo and the run that pinged.
    var pendingPong: PendingPong?
    var pingDue = false
    var byePending = false
    var startedAt: Instant
    var lastHeard: Instant?
    var lastPingSent: Instant?
    var peerReachable = false
    /// Replays (and the timeouts behind them) while the other side is shown unreachable: counted, not logged one by
    /// one — a member gone for minutes would fill the log with a pair a second — and said in one `repeated` event
    /// when it answers again or the session ends.
    var replaysWhileUnreachable = 0
    var unreachableSince: Instant?
    var lastQuietReplay: Instant?
    var closingSince: Instant?

    // MARK: Outputs
    var deliveries = FIFO<Delivery>()
    var events = FIFO<Event>()
    /// Which categories of event to record; the rest are never built. All by default.
    public var recordedCategories: Set<EventCategory> = Set(EventCategory.allCases)
    /// Where the session is in its life.
    public internal(set) var state: SessionState = .open
    /// Counters for the summary.
    public internal(set) var statistics = SessionStatistics()

    /// Starts a session at `now`. Its first output is a PING, to find the other side and measure the round trip.
    public init(configuration: SessionConfiguration, now: Instant) {
        self.configuration = configuration
        tunables = configuration.tunables
        roundTrip = RoundTripEstimator(tunables: configuration.tunables)
        window = ReceiveWindow(capacity: configuration.tunables.receiveWindow)
        startedAt = now
        pingDue = true
    }

    // MARK: Queries

    /// This run's session identity, as every datagram carries it.
    public var identity: SessionID { configuration.sessionID }
    /// The other side's display name, once heard from.
    public var otherName: String? { peerName }
    /// Whether the other side is currently heard from.
    public var isPeerReachable: Bool { peerReachable }
    /// How many of this side's segments are not yet acknowledged (the end-of-input segment included).
    public var unacknowledgedSegments: UInt64 {
        let sent = sendBuffer.nextSequence - 1
        return sent > acknowledged ? sent - acknowledged : 0
    }
    /// How many segments of the user's messages are not yet acknowledged: what the exit status reports. The
    /// end-of-input segment is the protocol's business; a user who sent nothing has nothing unacknowledged.
    public var unacknowledgedMessages: UInt64 {
        let messageSegments = sendBuffer.nextSequence - 1 - (localFinished ? 1 : 0)
        return messageSegments > acknowledged ? messageSegments - acknowledged : 0
    }
    /// Whether the runtime should hand over more input now: false while a window's worth of segments waits to be
    /// sent, so a fast producer is slowed to the pace of the network and memory stays bounded.
    public var acceptsInput: Bool {
        !localFinished && state == .open && sendBuffer.nextSequence - nextToSend < tunables.sendWindow
    }
    /// The round-trip estimator, for the summary.
    public var roundTripEstimate: RoundTripEstimator { roundTrip }

    // MARK: Inputs

    /// Queues a message typed by the user. It is split into segments of at most `Wire.maxSegmentBody` bytes.
    /// - Throws: `SubmitError.tooLong` beyond `maxMessageBytes`; `.inputFinished` after `finishInput`.
    public mutating func submit(_ text: String, now: Instant) throws(SubmitError) {
        guard !localFinished else { throw .inputFinished }
        let bytes = Array(text.utf8)
        guard bytes.count <= Session.maxMessageBytes else { throw .tooLong(bytes: bytes.count) }
        let pieces = max(1, (bytes.count + Wire.maxSegmentBody - 1) / Wire.maxSegmentBody)
        let first = sendBuffer.nextSequence
        let last = first + UInt64(pieces) - 1
        for piece in 0..<pieces {
            let start = piece * Wire.maxSegmentBody
            let end = min(bytes.count, start + Wire.maxSegmentBody)
            let body = pieces == 1 ? bytes : Array(bytes[start..<end])
            sendBuffer.append(OutgoingSegment(
                body: body, fragment: Fragment(index: piece + 1, count: pieces), messageLast: last))
        }
        statistics.messagesSent += 1
        statistics.segmentsSent += UInt64(pieces)
    }

    /// Marks the end of the user's input with an end-of-input segment, delivered as reliably as a message; the
    /// session closes once both sides' ends are delivered and everything is acknowledged.
    public mutating func finishInput(now: Instant) {
        guard !localFinished else { return }
        localFinished = true
        finishedAt = now
        let sequence = sendBuffer.nextSequence
        sendBuffer.append(OutgoingSegment(body: [], fragment: nil, isEnd: true, messageLast: sequence))
        statistics.segmentsSent += 1
        record(.finish(side: .local, segments: sequence))
    }

    /// Ends the user's input and leaves without waiting for the other side's end (a group member's `/quit`): once
    /// everything we sent is acknowledged, the session says goodbye and closes, whether or not the other side has
    /// finished. The other side, receiving that goodbye after our end (sealed: a readable PEER/1 goodbye can be
    /// forged), closes too: it can send us nothing more. Its lines arriving before then are shown as usual.
    public mutating func leave(now: Instant) {
        finishInput(now: now)
        leaving = true
        checkCompletion(now: now)
    }

    /// Ends the session at once (Ctrl-C): nothing more is sent.
    public mutating func interrupt(now: Instant) {
        close(.interrupted)
    }

    // MARK: Outputs

    /// The next message to show the user, in order, each exactly once.
    public mutating func pollDelivery() -> Delivery? { deliveries.pop() }

    /// The next decision to log.
    public mutating func pollEvent() -> Event? { events.pop() }

    /// When the session next needs `handleTimeout`, if ever. Call again after every input.
    public func nextTimeout() -> Instant? {
        if case .closed = state { return nil }
        var deadline: Instant?
        func consider(_ candidate: Instant?) {
            guard let candidate else { return }
            deadline = min(deadline ?? candidate, candidate)
        }
        consider(retransmitDeadline)
        consider(lossCheckDeadline)
        consider(challengeRetryDeadline)
        consider(pingDeadline)
        if peerReachable, let lastHeard { consider(lastHeard + tunables.heartbeatInterval * tunables.silentIntervalsBeforeDown) }
        consider(lingerDeadline)
        consider(closeDeadline)
        if state == .closing { consider(goodbyeDeadline) }
        return deadline
    }

    // MARK: Helpers shared by the parts of the state machine

    func isRecorded(_ category: EventCategory) -> Bool { recordedCategories.contains(category) }

    mutating func record(_ event: Event) {
        if isRecorded(event.category) { events.push(event) }
    }

    /// Whether a timeout's repair is to be counted rather than logged: the other side was known and is now shown
    /// unreachable (before first contact, the handshake's own events say what is going on).
    var countsRepairsQuietly: Bool { peerName != nil && !peerReachable }

    /// One `repeated` event for the replays counted while the other side was unreachable, if there were any.
    mutating func reportReplaysWhileUnreachable(until now: Instant) {
        guard replaysWhileUnreachable > 0 else { return }
        let window = now - (unreachableSince ?? now)
        record(.repeated(event: "resend", count: replaysWhileUnreachable, logged: 0, window: max(.zero, window),
                         reasons: "\(replaysWhileUnreachable) timeout (replays while \(peerName ?? "the other side") "
                             + "was unreachable)"))
        replaysWhileUnreachable = 0
    }

    /// Refuses a datagram: counted, and logged with `reason`. Nothing it claimed is acted on.
    mutating func reject(_ reason: String, bytes: Int) {
        statistics.rejected += 1
        record(.reject(reason: reason, bytes: bytes))
    }

    mutating func close(_ reason: SessionOutcome.Reason) {
        if case .closed = state { return }
        reportReplaysWhileUnreachable(until: lastQuietReplay ?? unreachableSince ?? .zero)
        let outcome = SessionOutcome(everythingAcknowledged: unacknowledgedMessages == 0, reason: reason)
        state = .closed(outcome)
        record(.close(outcome: outcome))
    }

    /// Our count of the other side's segments, as carried in every datagram.
    var count: UInt64 { expected - 1 }
}
