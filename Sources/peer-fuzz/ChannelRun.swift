import Glibc
import PeerChannel
import PeerCrypto
import PeerSession
import PeerWire

/// Two live secure channels, alice (side 0) and bob (side 1), in one process, joined by a network that delivers
/// each datagram 1 ms after it leaves, in order — except where the fuzz input, read at each delivery, says to drop
/// it, delay it, duplicate it, or to slip in datagrams of its own first: raw bytes, or genuine datagrams seen so
/// far (either side's) replayed or edited by `Mutator`.
///
/// It checks, as it goes, that each side shows only the other's lines, each once and in order; that no key but
/// the genuine peer's is pinned, refused or secured; that a transport datagram which is not genuine, or which the
/// side already took, is refused by the channel before the session sees it; and, in `finish`, that the
/// conversation completed: both sides closed with everything acknowledged and every line shown.
///
/// Nothing here draws on randomness except the channels themselves (their indexes and ephemeral keys); their
/// choices change bytes, never which branch an input takes, so a run is as repeatable as the fuzzer needs.
struct ChannelRun {
    /// A datagram on its way to a side.
    struct InFlight {
        var bytes: [UInt8]
        var arrival: Instant
    }

    /// Something a side's user does at a time: types a line, or ends input (`text` nil).
    struct Typing {
        let side: Int
        let at: Instant
        let text: String?
    }

    static let names = ["alice", "bob"]
    static let runs = [SessionID(rawValue: 0xA_0000), SessionID(rawValue: 0xB_0000)]
    static let staticKeys: [[UInt8]] = [[UInt8](repeating: 0xA1, count: 32), [UInt8](repeating: 0xB2, count: 32)]
    static let publicKeys = staticKeys.map { X25519.publicKey(privateKey: $0) }
    static let preSharedKey = [UInt8](repeating: 0x5C, count: 32)
    static let delay = TimeSpan.milliseconds(1)
    /// Losses the input may cause: enough to exercise repair, few enough that repair always finishes in time. They
    /// stop when input ends (`lossUntil`): a network that loses the last acknowledgements of a conversation can
    /// always leave one side unsure that it completed (the two generals), which is no fault of the protocol.
    static let maxDrops = 8
    static let maxDelays = 16
    /// A conversation that has not closed by then never will: a hang, or a lost line.
    static let timeLimit = TimeSpan.seconds(600)
    static let stepLimit = 200_000
    /// `PEER_FUZZ_TRACE=1` prints every datagram's fate and every event: how to read what an input did.
    static let tracing = getenv("PEER_FUZZ_TRACE") != nil

    var cores: [SecureChannel]
    var now: Instant
    var inFlight: [[InFlight]] = [[], []]
    /// Every datagram either side sent, as an attacker on the path sees them: what it may replay or edit.
    var pool: [[UInt8]] = []
    var sent: Set<[UInt8]> = []
    /// The transport datagrams each side's channel took (opened): a second copy must be refused.
    var accepted: [Set<[UInt8]>] = [[], []]
    var typing: [Typing] = []
    /// What each side must show: the other side's lines, in order.
    var expected: [[String]] = [[], []]
    var shown: [[String]] = [[], []]
    /// Whether a side may still pin the other's key (first contact happens during this run).
    var mayPin = [false, false]
    var drops = 0
    var delays = 0
    var lossUntil = Instant.zero
    var injected = 0
    var input = FuzzInput([])

    /// Two channels that have not met: each with its handshake initiation waiting to leave (bob's only when
    /// `bobInitiates`).
    static func fresh(preSharedKey: Bool, bobInitiates: Bool) -> ChannelRun {
        let cores = (0..<2).map { side in
            let session = SessionConfiguration(name: names[side], sessionID: runs[side], linger: .seconds(60))
            return SecureChannel(configuration: ChannelConfiguration(
                session: session, staticKey: staticKeys[side], preSharedKey: preSharedKey ? Self.preSharedKey : nil,
                initiates: side == 0 || bobInitiates), now: .zero)
        }
        var run = ChannelRun(cores: cores, now: .zero)
        run.mayPin = [true, true]
        return run
    }

    /// Queues a line typed on `side` at `offset` from now, which the other side must show.
    mutating func type(_ text: String, on side: Int, after offset: TimeSpan) {
        typing.append(Typing(side: side, at: now + offset, text: text))
        expected[1 - side].append(text)
    }

    /// Ends both sides' input at `offset` from now.
    mutating func endInput(after offset: TimeSpan) {
        for side in 0..<2 { typing.append(Typing(side: side, at: now + offset, text: nil)) }
        lossUntil = now + offset
    }

    /// Runs until `done` holds, nothing is left to happen, or a limit is reached; returns whether `done` held.
    mutating func run(until done: (ChannelRun) -> Bool) -> Bool {
        let deadline = now + Self.timeLimit
        for side in 0..<2 { drain(side) }
        for _ in 0..<Self.stepLimit {
            if done(self) { return true }
            guard let next = nextMoment(), next <= deadline else { return done(self) }
            now = max(now, next)
            while let position = typing.firstIndex(where: { $0.at <= now }) {
                let typed = typing.remove(at: position)
                if let text = typed.text {
                    do {
                        try cores[typed.side].submit(text, now: now)
                    } catch {
                        violated("\(Self.names[typed.side]) could not submit a line: \(error)")
                    }
                } else {
                    cores[typed.side].finishInput(now: now)
                }
                drain(typed.side)
            }
            for side in 0..<2 {
                while let position = inFlight[side].firstIndex(where: { $0.arrival <= now }) {
                    arrive(inFlight[side].remove(at: position).bytes, at: side)
                }
            }
            for side in 0..<2 {
                if let deadline = cores[side].nextTimeout(), deadline <= now {
                    cores[side].handleTimeout(now: now)
                    drain(side)
                }
            }
        }
        violated("no end after \(Self.stepLimit) steps (\(now)): a timer that never moves on, or a datagram storm")
    }

    /// Runs the conversation to its end and checks it completed: both closed with everything acknowledged, and
    /// each side showed exactly the other's lines.
    mutating func finish() {
        let completed = run { run in run.cores.allSatisfy { if case .closed = $0.state { true } else { false } } }
        for side in 0..<2 {
            guard completed, case .closed(let outcome) = cores[side].state else {
                violated("\(Self.names[side]) not closed after \(now): \(cores[side].state); shown \(shown[side].count)"
                         + " of \(expected[side].count); drops \(drops), delays \(delays), injected \(injected)")
            }
            if outcome.reason != .completed || !outcome.everythingAcknowledged {
                violated("\(Self.names[side]) ended \(outcome) (drops \(drops), delays \(delays), injected \(injected))")
            }
            if shown[side] != expected[side] {
                violated("\(Self.names[side]) showed \(shown[side].count) of \(expected[side].count) lines")
            }
        }
    }

    private func nextMoment() -> Instant? {
        var next = typing.map(\.at).min()
        func consider(_ candidate: Instant?) {
            guard let candidate else { return }
            next = min(next ?? candidate, candidate)
        }
        for side in 0..<2 {
            consider(inFlight[side].map(\.arrival).min())
            consider(cores[side].nextTimeout())
        }
        return next
    }

    /// A genuine datagram reaches `side`, unless the input first says otherwise. The next input byte, modulo 8:
    /// 1 drop it, 2 delay it by 1 + (next byte % 200) ms (both while input lasts, and a bounded number of times),
    /// 3 deliver a copy first, 4 first inject raw bytes (a victim byte, then a 2-byte length and the bytes), 5 first
    /// inject a genuine datagram edited by `Mutator` (a victim byte, a 2-byte pool position, the edits), 6 first
    /// inject a genuine datagram as it was (a victim byte, a 2-byte pool position); anything else, or the end of
    /// the input, delivers it. After 3 to 6 the next byte is read again for the same datagram.
    private mutating func arrive(_ bytes: [UInt8], at side: Int) {
        while !input.isExhausted {
            switch input.byte() % 8 {
            case 1 where drops < Self.maxDrops && now < lossUntil:
                drops += 1
                trace("drop", bytes, to: side)
                return
            case 2 where delays < Self.maxDelays && now < lossUntil:
                delays += 1
                let wait = TimeSpan.milliseconds(Int64(1 + input.byte() % 200))
                inFlight[side].append(InFlight(bytes: bytes, arrival: now + wait))
                trace("delay \(wait)", bytes, to: side)
                return
            case 3:
                deliver(bytes, to: side)
            case 4:
                let victim = Int(input.byte() & 1)
                inject(input.lengthPrefixed(), to: victim)
            case 5:
                let victim = Int(input.byte() & 1)
                guard !pool.isEmpty else { continue }
                let original = pool[input.below(pool.count)]
                inject(Mutator.mutate(original, pool: pool, input: &input), to: victim)
            case 6:
                let victim = Int(input.byte() & 1)
                guard !pool.isEmpty else { continue }
                inject(pool[input.below(pool.count)], to: victim)
            default:
                deliver(bytes, to: side)
                return
            }
        }
        deliver(bytes, to: side)
    }

    private mutating func inject(_ bytes: [UInt8], to side: Int) {
        injected += 1
        receive(bytes, at: side, "inject")
    }

    private mutating func deliver(_ bytes: [UInt8], to side: Int) {
        receive(bytes, at: side, "deliver")
    }

    /// Hands `bytes` to `side` and checks the channel's verdict on a transport datagram: one that is not a
    /// genuine datagram (forged or edited), or a genuine one this side already took (a replay or duplicate), must
    /// be refused by the channel itself, before the session sees anything of it.
    private mutating func receive(_ bytes: [UInt8], at side: Int, _ how: String) {
        trace(how, bytes, to: side)
        if case .closed = cores[side].state {
            bytes.withUnsafeBytes { cores[side].receive($0, now: now) }
            return
        }
        let transport = bytes.first == SealedFraming.Kind.transport.rawValue
            || bytes.first == SealedFraming.Kind.transportToAnotherRun.rawValue
        let genuine = sent.contains(bytes)
        let takenBefore = accepted[side].contains(bytes)
        bytes.withUnsafeBytes { cores[side].receive($0, now: now) }
        let events = drain(side)
        guard transport else { return }
        let refused = events.contains { Self.isChannelRefusal($0, bytes: bytes.count) }
        if !genuine || takenBefore {
            if !refused || events.contains(where: Self.showsAcceptance) {
                violated("\(Self.names[side]) took \(genuine ? "again a transport datagram it had taken" : "a forged one")"
                         + " (\(bytes.count) bytes): \(events)")
            }
        } else if !refused {
            accepted[side].insert(bytes)
        }
    }

    /// A `reject` the channel itself gives a transport datagram (not the session, after opening it).
    static func isChannelRefusal(_ event: Event, bytes: Int) -> Bool {
        guard case .reject(let reason, _) = event else { return false }
        let refusals: [ChannelError] = [
            .badLength(kind: "sealed datagram", bytes: bytes), .unknownIndex(kind: "sealed datagram"),
            .authenticationFailed,
        ] + reason.split(separator: " ").compactMap { UInt64($0) }.map { ChannelError.replayed($0) }
        return refusals.contains { $0.description == reason }
    }

    /// An event that only a datagram the channel let through can cause.
    static func showsAcceptance(_ event: Event) -> Bool {
        switch event {
        case .receive, .deliver, .duplicate, .hold, .peerUp, .handshake(_, .incoming, _), .ping(.incoming, _),
             .pong(.incoming, _, _):
            true
        default:
            false
        }
    }

    @discardableResult
    private mutating func drain(_ side: Int) -> [Event] {
        var sink = CollectingSink()
        CoreDriver.drain(&cores[side], now: now, into: &sink)
        for event in sink.events {
            if Self.tracing { print("\(now) \(Self.names[side]): \(event)") }
            check(event, at: side)
        }
        for delivery in sink.deliveries { check(delivery, at: side) }
        for transmit in sink.transmits {
            pool.append(transmit.bytes)
            sent.insert(transmit.bytes)
            inFlight[1 - side].append(InFlight(bytes: transmit.bytes, arrival: now + Self.delay))
        }
        return sink.events
    }

    private func trace(_ what: String, _ bytes: [UInt8], to side: Int) {
        guard Self.tracing else { return }
        print("\(now) \(what) to \(Self.names[side]): kind \(bytes.first ?? 0), \(bytes.count) bytes")
    }

    private mutating func check(_ event: Event, at side: Int) {
        let name = Self.names[side]
        let peer = 1 - side
        switch event {
        case .keyRefused(let claimed, let fingerprint, let reason):
            violated("\(name) refused a key (\(claimed), \(fingerprint), \(reason)): no key but the peer's took part")
        case .pinned(let pinnedName, _, let publicKey):
            guard mayPin[side], pinnedName == Self.names[peer], publicKey == Self.publicKeys[peer] else {
                violated("\(name) pinned \(pinnedName) to a key (may pin: \(mayPin[side]))")
            }
            mayPin[side] = false
        case .secured(let securedName, _, let session):
            if securedName != Self.names[peer] || session != Self.runs[peer] {
                violated("\(name) secured a conversation with \(securedName), run \(session)")
            }
        default:
            break
        }
    }

    private mutating func check(_ delivery: Delivery, at side: Int) {
        let name = Self.names[side]
        guard delivery.from == Self.names[1 - side], shown[side].count < expected[side].count,
              delivery.text == expected[side][shown[side].count]
        else {
            violated("\(name) showed \(delivery.from): \(delivery.text.prefix(40)) as line \(shown[side].count + 1);"
                     + " expected \(expected[side].dropFirst(shown[side].count).first?.prefix(40) ?? "nothing")")
        }
        shown[side].append(delivery.text)
    }
}

/// Keeps what a drain hands out, for `ChannelRun` to check and route once the drain is over.
struct CollectingSink: CoreSink {
    var events: [Event] = []
    var deliveries: [Delivery] = []
    var transmits: [Transmit] = []

    mutating func log(_ event: Event) { events.append(event) }
    mutating func show(_ delivery: Delivery) { deliveries.append(delivery) }
    mutating func send(_ transmit: Transmit) { transmits.append(transmit) }
}
