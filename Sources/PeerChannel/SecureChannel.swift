import PeerCrypto
import PeerHandshake
import PeerIdentity
import PeerSession
import PeerWire

/// PEER/2: a `Session` whose every datagram is sealed, behind a Noise XX handshake that authenticates both sides'
/// static keys. A sans-I/O core like the session it wraps, driven by `CoreDriver` in the runtime, the simulator
/// and the fuzzer alike.
///
/// What it promises:
/// - Nothing reaches the session that was not sealed with keys from a handshake completed with this run of ours,
///   and the session hears of the sender's name and run only from that handshake: a forged, altered, replayed or
///   stale datagram changes nothing, and is counted (a `reject` event, aggregated by the runtime).
/// - Before a handshake completes, it sends in answer to what arrives at most three times the bytes that arrived
///   (a response to an initiation is at most `SealedFraming.maxResponseBytes`, an initiation is 64 bytes).
/// - A key is trusted on first use and pinned to the name it came with (`pinned` event); afterwards a handshake
///   claiming that name with another key, or any key other than `--expect-key`'s, is refused (`keyRefused`).
/// - A restarted peer is a new handshake with the same key and a new run; the session takes it as a restart.
///
/// Both sides start a handshake (each has the other as its destination) and answer the other's; either completed
/// handshake carries the conversation. What the session sends before any keys exist waits (bounded) and leaves
/// sealed as soon as they do; anything that does not fit is repaired by the session as any loss.
public struct SecureChannel: MessengerCore {
    /// The conversation inside.
    public internal(set) var session: Session
    let configuration: ChannelConfiguration
    let pattern: NoisePattern
    /// Both sides hash this first: a handshake with a build of another protocol revision cannot complete.
    static let prologue = Array("PEER/2".utf8)
    static let maxResponses = 8
    static let maxKeys = 4
    static let maxWaiting = 256
    /// How many datagrams may be sealed with keys the other side has not yet shown it holds.
    static let unconfirmedBudget: UInt64 = 4
    static let maxFinishAttempts = 10
    static let maxAllowance = 64 * 1024
    /// More responses than this in a second and initiations must bring a cookie (each response costs three
    /// X25519 operations; a cookie check, one BLAKE2s).
    static let responsesPerSecondBeforeCookies = 16
    /// An answered handshake whose third message has not come in this long is forgotten.
    public static let responseLifetime = TimeSpan.seconds(10)

    /// Our handshake in progress, as initiator: message 1 sent, waiting for message 2.
    struct Initiation {
        var handshake: NoiseHandshake
        let index: UInt32
        var message: [UInt8]
        var attempts: Int
        var nextAttempt: Instant
        var firstSent: Instant
        var lastSent: Instant
        /// Whether a copy went early, prompted by the other side's initiation, since the timer last sent one.
        var hurried = false
    }

    /// Our message 3, repeated until the responder shows it has the keys.
    struct Finish {
        let index: UInt32
        let message: [UInt8]
        var attempts: Int
        var nextAttempt: Instant
        let interval: TimeSpan
    }

    /// A response we gave, waiting for the initiator's message 3.
    struct Response {
        var handshake: NoiseHandshake
        let index: UInt32
        let remoteIndex: UInt32
        let initiation: [UInt8]
        let message: [UInt8]
        let createdAt: Instant
    }

    var initiation: Initiation?
    /// Whether we said that the other side answers our handshakes but never confirms one.
    var saidUnconfirmed = false
    /// The index of our last initiation stopped because the other side's handshake gave both sides keys first (the
    /// two crossed): its response, still on its way, is expected, not an attack.
    var settledIndex: UInt32?
    var finishes: [Finish] = []
    var responses: [Response] = []
    var keys: [TransportKeys] = []
    var outgoing = FIFO<Transmit>()
    var waiting: [Transmit] = []
    /// Bytes we may still send in answer to datagrams not yet authenticated: three times what they brought.
    var allowance = 0
    /// The key this conversation is with, once a handshake completed.
    var peerKey: [UInt8]?
    var knownKeys: [String: [UInt8]]
    var events = FIFO<Event>()
    /// Keys installed and not yet handed out, when the configuration exports them.
    var keyLog = FIFO<KeyLogEntry>()
    var nextIndex: UInt32
    var lastSecuredRun: SessionID?
    /// Cookies under a key drawn for this channel: only it can make or check one.
    let cookies = InitiationCookies()
    /// Responses written in the current second, and when that second began; past the limit, cookies are required
    /// until `cookiesRequiredUntil`.
    var responsesThisSecond = 0
    var responseSecondStarted = Instant.zero
    var cookiesRequiredUntil: Instant?
    /// Datagrams refused here: they never reached the session.
    var rejected = 0

    /// Which categories of event to build (the session's and the channel's).
    public var recordedCategories: Set<EventCategory> = Set(EventCategory.allCases) {
        didSet { session.recordedCategories = recordedCategories }
    }

    /// Starts the channel and, when it initiates, its first handshake.
    public init(configuration: ChannelConfiguration, now: Instant) {
        var sessionConfiguration = configuration.session
        sessionConfiguration.carriage = .sealed(overhead: SealedFraming.transportOverhead)
        session = Session(configuration: sessionConfiguration, now: now)
        self.configuration = configuration
        pattern = configuration.preSharedKey == nil ? .XX : .XXpsk0
        knownKeys = configuration.knownKeys
        let random = RandomBytes.make(count: 4)
        nextIndex = random.reduce(0) { $0 << 8 | UInt32($1) }
        if configuration.initiates { startInitiation(now: now) }
    }

    var tunables: Tunables { configuration.session.tunables }
    var ourRun: SessionID { configuration.session.sessionID }

    // MARK: MessengerCore

    /// Queues a message typed by the user.
    public mutating func submit(_ text: String, now: Instant) throws(SubmitError) { try session.submit(text, now: now) }
    /// The user's input has ended.
    public mutating func finishInput(now: Instant) { session.finishInput(now: now) }
    /// The user's input has ended, and we leave once what we sent is acknowledged (`Session.leave`).
    public mutating func leave(now: Instant) { session.leave(now: now) }
    /// Stop at once.
    public mutating func interrupt(now: Instant) { session.interrupt(now: now) }
    /// The next message to show.
    public mutating func pollDelivery() -> Delivery? { session.pollDelivery() }
    /// The channel's events first (a handshake before what it let through), then the session's.
    public mutating func pollEvent() -> Event? { events.pop() ?? session.pollEvent() }
    /// The keys of the next handshake completed since the last call, when `exportsKeys` asked for them.
    public mutating func pollKeyLogEntry() -> KeyLogEntry? { keyLog.pop() }
    /// Where the conversation is in its life.
    public var state: SessionState { session.state }
    /// The session's counters, with the datagrams the channel refused before the session saw them counted as
    /// rejected.
    public var statistics: SessionStatistics {
        var statistics = session.statistics
        statistics.rejected += rejected
        return statistics
    }
    /// Whether to hand over more input now.
    public var acceptsInput: Bool { session.acceptsInput }

    /// When `handleTimeout` is next needed: the session's deadline or a handshake message's repetition.
    public func nextTimeout() -> Instant? {
        if case .closed = session.state { return nil }
        var deadline = session.nextTimeout()
        func consider(_ candidate: Instant?) {
            guard let candidate else { return }
            deadline = min(deadline ?? candidate, candidate)
        }
        consider(initiation?.nextAttempt)
        for finish in finishes { consider(finish.nextAttempt) }
        return deadline
    }

    /// Repeats handshake messages whose answer is overdue, then lets the session act on its own deadlines.
    public mutating func handleTimeout(now: Instant) {
        if var pending = initiation, pending.nextAttempt <= now {
            pending.attempts += 1
            // Steady through the first second (a loss there is most likely bad luck), then backs off to the
            // heartbeat's pace: a peer that is not there yet is asked about as often as a live one is pinged.
            let doublings = min(max(0, pending.attempts + 1 - tunables.initiationsBeforeBackoff), 6)
            let interval = min(tunables.initialRetransmissionTimeout * Int64(1 << doublings),
                               tunables.heartbeatInterval)
            pending.nextAttempt = now + interval
            pending.lastSent = now
            pending.hurried = false
            initiation = pending
            send(pending.message, step: "initiation")
        }
        for position in finishes.indices where finishes[position].nextAttempt <= now {
            finishes[position].attempts += 1
            let backoff = Int64(1 << min(finishes[position].attempts, 4))
            finishes[position].nextAttempt = now + finishes[position].interval * backoff
            send(finishes[position].message, step: "finish")
        }
        // A message 3 never confirmed: the responder lost our handshake (or never had it); start again.
        if finishes.contains(where: { $0.attempts >= Self.maxFinishAttempts }) {
            let abandoned = Set(finishes.filter { $0.attempts >= Self.maxFinishAttempts }.map(\.index))
            finishes.removeAll { abandoned.contains($0.index) }
            if !saidUnconfirmed, let refuser = keys.first(where: { abandoned.contains($0.localIndex) && !$0.confirmed }) {
                // It answered our handshake, so it is there; ten copies of our last message never got a word back.
                // On a path that carried its answer, the likeliest reason is that it refused who we are — and it
                // says so only on its side — so say what to check here, once.
                saidUnconfirmed = true
                record(.notice(text: "\(refuser.peerName) answers our handshake but never confirms it: it may refuse "
                               + "our key or our name (is --name \(session.configuration.name) taken there, or did our "
                               + "key change?)", peer: refuser.peerName))
            }
            keys.removeAll { abandoned.contains($0.localIndex) && !$0.confirmed }
            if keys.isEmpty, initiation == nil, configuration.initiates { startInitiation(now: now) }
        }
        // While what the session sent waits for keys, it has not left: its retransmission clock must not run.
        if keys.isEmpty || !waiting.isEmpty {
            session.transmissionsLeft(now: now, from: waiting.compactMap(\.sequence).min() ?? 0)
        }
        if let deadline = session.nextTimeout(), deadline <= now { session.handleTimeout(now: now) }
    }

    /// The next datagram to send: handshake messages first, then the session's, sealed.
    public mutating func pollTransmit(now: Instant) -> Transmit? {
        if let transmit = outgoing.pop() { return transmit }
        // What waited goes first, in order, as soon as it may.
        if !waiting.isEmpty {
            flushWaiting(now: now)
            if let transmit = outgoing.pop() { return transmit }
        }
        while let transmit = session.pollTransmit(now: now) {
            if let sealed = seal(transmit) { return sealed }
            // No keys yet: it waits for them, bounded (the session repairs what it must as any loss).
            waiting.append(transmit)
            if waiting.count > Self.maxWaiting { waiting.removeFirst() }
        }
        return nil
    }

    /// Takes a datagram from the destination host. Whatever it is, nothing changes unless it authenticates.
    public mutating func receive(_ bytes: UnsafeRawBufferPointer, now: Instant) {
        if case .closed = session.state { return }
        let datagram = Array(bytes)
        guard let first = datagram.first else {
            reject(.badLength(kind: "datagram", bytes: 0), bytes: 0)
            return
        }
        guard let kind = SealedFraming.Kind(rawValue: first) else {
            reject(first == UInt8(ascii: "P") ? .olderProtocol : .unknownKind(first), bytes: datagram.count)
            return
        }
        switch kind {
        case .initiation, .initiationWithPreSharedKey:
            receiveInitiation(datagram, withPreSharedKey: kind == .initiationWithPreSharedKey, now: now)
        case .response: receiveResponse(datagram, now: now)
        case .finish: receiveFinish(datagram, now: now)
        case .transport, .transportToAnotherRun:
            receiveTransport(datagram, toOurRun: kind == .transport, now: now)
        case .cookieReply: receiveCookieReply(datagram, now: now)
        }
    }

    // MARK: What a group endpoint asks

    /// Whether `index` is one of ours (an initiation's — pending, or stopped because the other side's crossing
    /// handshake finished first — an answered handshake's or a key set's): a datagram naming it belongs to this
    /// channel. Indexes are random per channel, so this demultiplexes an endpoint's datagrams.
    public func owns(index: UInt32) -> Bool {
        initiation?.index == index || settledIndex == index || responses.contains { $0.index == index }
            || keys.contains { $0.localIndex == index } || finishes.contains { $0.index == index }
    }

    /// Every index `owns(index:)` accepts now: what a group endpoint remembers of a member it let go, so that the
    /// member's late datagrams (its last goodbyes) pass without a word.
    public var indexes: [UInt32] {
        [initiation?.index, settledIndex].compactMap { $0 } + responses.map(\.index) + keys.map(\.localIndex)
            + finishes.map(\.index)
    }

    /// The other side's static public key, once a handshake with it completed.
    public var remoteKey: [UInt8]? { peerKey }

    /// The other side's name as its newest handshake gave it, once one completed.
    public var remoteName: String? { keys.last?.peerName }

    /// Whether a handshake completed: what arrives now is authenticated.
    public var isSecured: Bool { !keys.isEmpty }

    /// Pins `key` to `name` from now on, as a first contact would: a group learns members' keys from one another,
    /// and a name taken in the group must be refused to any other key on every channel.
    public mutating func pin(name: String, key: [UInt8]) { knownKeys[name] = key }

    /// Lets `name` go, if it is `key`'s here: a group member moved on from a nick, which another may now take.
    public mutating func unpin(name: String, key: [UInt8]) {
        if knownKeys[name] == key { knownKeys[name] = nil }
    }

    /// Whether a handshake of ours is waiting for its answer.
    public var isInitiating: Bool { initiation != nil }

    /// Starts a handshake now, unless one is in progress, even when keys exist: a group member that went silent
    /// may have restarted with no one to dial (it only answers), and only a handshake of ours reaches its new run.
    /// If it was merely cut off, the handshake names the run we know, and the session carries on as before.
    public mutating func initiate(now: Instant) {
        guard initiation == nil else { return }
        startInitiation(now: now)
    }

    /// Takes over the keys of `other`, a channel that completed a handshake with the same key at another
    /// address (the member reached us through a relay or from a second address): what arrives sealed with them
    /// now reaches this channel's session, which sees a new run as a restart, as it would here.
    public mutating func adopt(keysOf other: SecureChannel, now: Instant) {
        guard other.peerKey == peerKey || peerKey == nil, let key = other.peerKey else { return }
        peerKey = key
        for set in other.keys where !keys.contains(where: { $0.localIndex == set.localIndex }) {
            keys.append(set)
            if keys.count > Self.maxKeys {
                let dropped = keys.removeFirst()
                finishes.removeAll { $0.index == dropped.localIndex }
            }
        }
        finishes += other.finishes.filter { finish in keys.contains { $0.localIndex == finish.index } }
        if keys.contains(where: \.confirmed) { settle() }
        flushWaiting(now: now)
    }

    // MARK: Shared helpers

    mutating func newIndex() -> UInt32 {
        // Sequential from a random start: unique among ours, and unguessable to anyone who saw none of them.
        nextIndex &+= 1
        return nextIndex
    }

    mutating func reject(_ error: ChannelError, bytes: Int) {
        rejected += 1
        record(.reject(reason: error.description, bytes: bytes))
    }

    mutating func record(_ event: Event) {
        if recordedCategories.contains(event.category) { events.push(event) }
    }

    mutating func send(_ message: [UInt8], step: String) {
        record(.handshake(step: step, direction: .outgoing, bytes: message.count))
        outgoing.push(Transmit(bytes: message, route: .sendSocket, kind: .handshake, sequence: nil))
    }

    /// Spends `bytes` of the allowance for answers to what is not authenticated yet; false when it would exceed it.
    mutating func spendAllowance(_ bytes: Int) -> Bool {
        guard bytes <= allowance else { return false }
        allowance -= bytes
        return true
    }

    mutating func earnAllowance(_ bytes: Int) {
        allowance = min(Self.maxAllowance, allowance + tunables.amplificationFactor * bytes)
    }
}
