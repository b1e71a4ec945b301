import PeerChannel
import PeerCrypto
import PeerGroup
import PeerSession
import PeerWire

/// N group members on a virtual clock: each a `GroupCore` driven as the runtime drives it (`CoreDriver.drain` after
/// every input), joined by one-way links that delay, lose, duplicate and reorder datagrams, deterministically from
/// a seed. No sockets, no threads, no waiting.
///
/// Each member has a listen address (`10.0.0.K:4000`) where others send to it, and a source address
/// (`10.0.0.K:5000`) its datagrams come from, as a real member's send socket differs from its listen socket: a
/// core must answer an initiation at the port it names, not at the port it came from.
///
/// What can happen, each at a virtual time: a member starts (dialing the listen addresses it was given), a user
/// types a line (a command or a message), a user's input ends, a member is killed (SIGKILL: everything it held is
/// lost) and started again (a new run: new session identity, same key and addresses, dialing the same peers), a
/// set of members is cut off from the others for a while. `run` goes until every running member is over, a
/// condition holds, or a time limit passes; what each member showed, noticed and sent is in `log(_:)` (unless
/// `keepsLogs` is off), what each sent to each in `traffic(from:to:)`, and every line shown goes to `onDelivery`.
///
/// Used by the group tests and by `peer simulate --peers N`. Everything is decided by the seed.
public final class GroupSimulation {
    /// What a member did, as its sink saw it.
    public struct MemberLog {
        /// Lines shown (`Delivery.line`), one array per run (a restart starts the next).
        public internal(set) var shownByRun: [[String]] = [[]]
        /// Deliveries with the time they were shown and the run that showed them.
        public internal(set) var deliveries: [(time: Instant, run: Int, delivery: Delivery)] = []
        /// Group notices (`Event.notice`), with their time.
        public internal(set) var notices: [(time: Instant, text: String)] = []
        /// Every event, with its time.
        public internal(set) var events: [(time: Instant, event: Event)] = []
        /// Every datagram it produced (including those its links lost).
        public internal(set) var sent: [SentDatagram] = []
        /// Datagrams that named no destination, or one no member listens at.
        public internal(set) var undeliverable = 0

        /// Lines shown by the current run.
        public var shown: [String] { shownByRun.last ?? [] }
        /// Lines shown by every run, in order.
        public var shownByAllRuns: [String] { shownByRun.flatMap { $0 } }
        /// Datagrams sent to `destination` (a member's label).
        public func sent(to destination: String) -> [SentDatagram] { sent.filter { $0.destination == destination } }
        /// Bytes sent to `destination`.
        public func bytesSent(to destination: String) -> Int { sent(to: destination).reduce(0) { $0 + $1.bytes } }
        /// Notices said since `time` (virtual time from the start).
        public func notices(since time: TimeSpan) -> [String] {
            notices.filter { $0.time >= Instant.zero + time }.map(\.text)
        }
    }

    /// One datagram a member produced.
    public struct SentDatagram: Sendable {
        /// When it was sent.
        public var time: Instant
        /// The sender's run (1 for its first).
        public var run: Int
        /// The destination member's label, or nil when no member listens at the address.
        public var destination: String?
        /// What it is (handshake, sealed data, acknowledgement…).
        public var kind: DatagramKind
        /// The sequence number of the segment it carries, if any.
        public var sequence: UInt64?
        /// Its size (UDP payload).
        public var bytes: Int
    }

    /// What one member sent to another: every datagram it produced, including those its link lost.
    public struct Traffic: Sendable, Equatable {
        /// How many datagrams.
        public var datagrams = 0
        /// Their bytes (UDP payloads).
        public var bytes = 0
    }

    /// A datagram on its way.
    private struct InFlight: Sendable {
        var bytes: [UInt8]
        var source: PeerAddress
        var sender: Int
        var receiver: Int
    }

    private enum Happening {
        case arrival(InFlight)
        case start(Int)
        case type(Int, String)
        case endInput(Int)
        case interrupt(Int)
        case kill(Int)
    }

    private struct Member {
        let label: String
        let name: String
        let privateKey: [UInt8]
        let publicKey: [UInt8]
        let listenAddress: PeerAddress
        let sourceAddress: PeerAddress
        let peers: [String]
        let knownKeys: [String: [UInt8]]
        var core: GroupCore?
        var runs = 0
        var pendingInput = FIFO<String>()
        var inputEnded = false
        var finishRequested = false
        /// Start or restart happenings still in the heap: a member about to run keeps the network going.
        var pendingStarts = 0
        var log = MemberLog()
    }

    private var members: [Member] = []
    private var links: [[ImpairmentStage<InFlight>]] = []
    /// `traffic[from][to]`, by member position.
    private var traffic: [[Traffic]] = []
    /// Links with datagrams on them (`from << 16 | to`): the others have nothing to release, and a group of 32
    /// has 992 links.
    private var busyLinks = Set<Int>()
    /// Each running member's `nextTimeout()` and whether it is over, as of its last drain: every input to a core
    /// is followed by a drain, so these are current, and a step need not ask every core (each asking every
    /// session) again.
    private var deadlines: [Instant?] = []
    private var over: [Bool] = []
    private let keepsLogs: Bool
    private var heap = EventHeap<Happening>()
    private var keyGenerator: SeededGenerator
    private let seed: UInt64
    private let conditions: Impairments
    private let tunables: Tunables
    private let linger: TimeSpan
    private let categories: Set<EventCategory>
    private var partitions: [(members: Set<Int>, start: Instant, end: Instant)] = []
    /// The virtual time now.
    public private(set) var now = Instant.zero
    /// The virtual time since the start, to schedule what comes next from where a run stopped.
    public var elapsed: TimeSpan { now - .zero }
    /// Whether a run stopped because the clock could not move on (a core asking for a timeout it never clears).
    public private(set) var stalled = false
    /// Called with every line a member shows, as it shows it: the member's position (0 for the first added), the
    /// time, and the delivery. Called whether or not logs are kept.
    public var onDelivery: ((_ member: Int, _ time: Instant, _ delivery: Delivery) -> Void)?

    /// A network whose every directed link applies `conditions`, its random choices drawn from `seed`.
    /// - Parameters:
    ///   - linger: each member's `--linger`.
    ///   - categories: the event categories the cores build (fewer is faster; notices always come).
    ///   - keepsLogs: whether to keep each member's `MemberLog` (every event, line and datagram); without, a long
    ///     run holds only what the members hold, the links carry and `traffic(from:to:)` counts.
    public init(seed: UInt64, conditions: Impairments = Impairments(delay: .milliseconds(20)),
                tunables: Tunables = .standard, linger: TimeSpan = .seconds(5),
                categories: Set<EventCategory> = Set(EventCategory.allCases), keepsLogs: Bool = true) {
        self.seed = seed
        self.conditions = conditions
        self.tunables = tunables
        self.linger = linger
        self.categories = categories
        self.keepsLogs = keepsLogs
        keyGenerator = SeededGenerator(seed: seed ^ 0x5EED_0F_4E75)
    }

    // MARK: Members

    /// Adds a member called `name` (label: how the test refers to it, `name` unless given), listening at
    /// 10.0.0.K:4000 and sending from 10.0.0.K:5000, that dials the members labelled in `peers` when it starts.
    /// Its key is drawn from the seed unless `privateKey` is given; `knownKeys` are its known-peers file.
    @discardableResult
    public func addMember(_ name: String, label: String? = nil, peers: [String] = [], privateKey: [UInt8]? = nil,
                   knownKeys: [String: [UInt8]] = [:], startAt time: TimeSpan? = .zero) -> String {
        let label = label ?? name
        precondition(!members.contains { $0.label == label }, "two members labelled \(label)")
        let key = privateKey ?? (0..<32).map { _ in UInt8(truncatingIfNeeded: keyGenerator.next()) }
        let host = "10.0.0.\(members.count + 1)"
        members.append(Member(label: label, name: name, privateKey: key, publicKey: X25519.publicKey(privateKey: key),
                              listenAddress: PeerAddress(host: host, port: 4000),
                              sourceAddress: PeerAddress(host: host, port: 5000), peers: peers, knownKeys: knownKeys))
        // Links to and from every member, so far: one impairment stage per direction, each with its own seed.
        let count = members.count
        links = (0..<count).map { from in
            (0..<count).map { to in
                if from < links.count, to < links[from].count { return links[from][to] }
                return ImpairmentStage(impairments: conditions, seed: seed &* 1_000_003 &+ UInt64(from * 64 + to))
            }
        }
        deadlines.append(nil)
        over.append(false)
        traffic = (0..<count).map { from in
            (0..<count).map { to in from < traffic.count && to < traffic[from].count ? traffic[from][to] : Traffic() }
        }
        if let time { start(label, at: time) }
        return label
    }

    /// Replaces the conditions on the link from `sender` to `receiver` (from now on; what is in flight keeps its
    /// fate).
    public func setLink(from sender: String, to receiver: String, _ impairments: Impairments) {
        let from = index(sender), to = index(receiver)
        links[from][to] = ImpairmentStage(impairments: impairments, seed: seed &* 7_919 &+ UInt64(from * 64 + to))
    }

    /// Starts `label` at `time`; if it is running then, it is killed first (a restart: a new run, same key and
    /// addresses, dialing the same peers; what it had typed but not sent is lost with it).
    public func start(_ label: String, at time: TimeSpan) {
        let position = index(label)
        members[position].pendingStarts += 1
        heap.push(time.microseconds, .start(position))
    }

    /// Kills `label` at `time` without starting it again: whatever reaches it is lost.
    public func kill(_ label: String, at time: TimeSpan) {
        heap.push(time.microseconds, .kill(index(label)))
    }

    /// The user of `label` types `line` at `time` (a command if it starts with `/`).
    public func type(_ line: String, by label: String, at time: TimeSpan) {
        heap.push(time.microseconds, .type(index(label), line))
    }

    /// The input of `label` ends at `time` (after everything typed before it).
    public func endInput(_ label: String, at time: TimeSpan) {
        heap.push(time.microseconds, .endInput(index(label)))
    }

    /// Ctrl-C at `label` at `time`.
    public func interrupt(_ label: String, at time: TimeSpan) {
        heap.push(time.microseconds, .interrupt(index(label)))
    }

    /// Cuts `labels` off from every other member from `time` for `duration`, both ways: a datagram crossing the
    /// cut is lost if it is sent, or would arrive, in that window.
    public func partition(_ labels: [String], at time: TimeSpan, for duration: TimeSpan) {
        partitions.append((Set(labels.map(index)), Instant.zero + time, Instant.zero + time + duration))
    }

    /// Lets a test play a hostile `label`: `body` changes its core now (say, hands a forged control message to one of
    /// its sessions), and what it then sends goes out as after any input.
    public func tamper(_ label: String, _ body: (inout GroupCore, Instant) -> Void) {
        let position = index(label)
        guard var core = members[position].core else { return }
        body(&core, now)
        members[position].core = core
        drain(position)
    }

    /// The labels of every member, in the order added.
    public var labels: [String] { members.map(\.label) }

    /// What `label` did so far.
    public func log(_ label: String) -> MemberLog { members[index(label)].log }

    /// The core `label` runs now (nil before it starts, or once killed).
    public func core(_ label: String) -> GroupCore? { members[index(label)].core }

    /// How many runs `label` has had.
    public func runs(_ label: String) -> Int { members[index(label)].runs }

    /// The public key of `label`.
    public func publicKey(_ label: String) -> [UInt8] { members[index(label)].publicKey }

    /// The roster of `label` now (empty when not running).
    public func roster(_ label: String) -> [(name: String, online: Bool, rooms: Set<String>)] {
        core(label)?.roster(now: now) ?? []
    }

    /// Whether `label`'s roster lists exactly `names`, each online.
    public func knows(_ label: String, exactly names: Set<String>) -> Bool {
        let roster = roster(label)
        return roster.count == names.count && Set(roster.map(\.name)) == names && roster.allSatisfy(\.online)
    }

    /// Whether every running member's roster lists every other running member, online, by its current name.
    public var isFullMesh: Bool {
        let running = members.filter { $0.core != nil }
        return running.allSatisfy { member in
            let others = running.filter { $0.label != member.label }.compactMap { $0.core?.currentName }
            return knows(member.label, exactly: Set(others))
        }
    }

    /// What `sender` sent to `receiver` so far (every run, lost datagrams included).
    public func traffic(from sender: String, to receiver: String) -> Traffic { traffic[index(sender)][index(receiver)] }

    /// The position of `label` among the members (0 for the first added): what `onDelivery` names it by.
    public func position(of label: String) -> Int { index(label) }

    /// The state of `label`'s core (nil when not running).
    public func state(_ label: String) -> SessionState? { core(label)?.state }

    // MARK: Running

    /// Runs until every running member is over (and no start is pending), `stop` says so (checked after every
    /// step), or `limit` of virtual time since the start has passed. Returns whether it stopped before the limit.
    @discardableResult
    public func run(until limit: TimeSpan, stop: ((GroupSimulation) -> Bool)? = nil) -> Bool {
        let end = Instant.zero + limit
        var stepsAtThisInstant = 0
        while true {
            var next = heap.nextKey.map { Instant(microseconds: $0) }
            for deadline in deadlines {
                if let deadline { next = min(next ?? deadline, deadline) }
            }
            for key in busyLinks {
                if let release = links[key >> 16][key & 0xFFFF].nextRelease() { next = min(next ?? release, release) }
            }
            guard let time = next, time <= end else {
                if next != nil { now = max(now, end) }
                return false
            }
            if time <= now {
                stepsAtThisInstant += 1
                // A core that keeps asking for the same instant would spin for ever: stop, and say so.
                if stepsAtThisInstant > 100_000 {
                    stalled = true
                    return false
                }
            } else {
                stepsAtThisInstant = 0
            }
            now = max(now, time)
            releaseLinks()
            while let key = heap.nextKey, key <= now.microseconds, let (_, happening) = heap.pop() {
                handle(happening)
            }
            for position in members.indices where members[position].core != nil {
                takeInput(position)
                if let deadline = deadlines[position], deadline <= now {
                    members[position].core?.handleTimeout(now: now)
                    drain(position)
                }
                while !members[position].pendingInput.isEmpty, members[position].core?.acceptsInput == true {
                    takeInput(position)
                }
            }
            if let stop, stop(self) { return true }
            let running = members.indices.filter { members[$0].core != nil }
            if !running.isEmpty, members.allSatisfy({ $0.pendingStarts == 0 }), running.allSatisfy({ over[$0] }) {
                return true
            }
        }
    }

    private func handle(_ happening: Happening) {
        switch happening {
        case .arrival(let datagram):
            guard members[datagram.receiver].core != nil else { return }
            datagram.bytes.withUnsafeBytes {
                members[datagram.receiver].core?.receive($0, from: datagram.source, now: now)
            }
            drain(datagram.receiver)
        case .start(let position):
            members[position].pendingStarts -= 1
            boot(position)
        case .type(let position, let line):
            members[position].pendingInput.push(line)
        case .endInput(let position):
            members[position].inputEnded = true
        case .interrupt(let position):
            members[position].core?.interrupt(now: now)
            drain(position)
        case .kill(let position):
            members[position].core = nil
            deadlines[position] = nil
            over[position] = false
            members[position].pendingInput = FIFO()
        }
    }

    /// A new run of the member at `position`: what the previous one held is gone.
    private func boot(_ position: Int) {
        var member = members[position]
        member.runs += 1
        if member.runs > 1 { member.log.shownByRun.append([]) }
        member.pendingInput = FIFO()
        member.inputEnded = false
        member.finishRequested = false
        // Each run a later identity than the last (its start in ms, as the runtime makes it), its member index
        // breaking ties.
        let identity = SessionID(startMilliseconds: UInt64(max(0, now.microseconds / 1000)) + 1,
                                 random: UInt16(truncatingIfNeeded: position))
        let session = SessionConfiguration(name: member.name, sessionID: identity, linger: linger, tunables: tunables)
        let channel = ChannelConfiguration(session: session, staticKey: member.privateKey, knownKeys: member.knownKeys,
                                           listenPort: member.listenAddress.port)
        let peers = member.peers.map { members[index($0)].listenAddress }
        var core = GroupCore(configuration: GroupConfiguration(channel: channel, publicKey: member.publicKey,
                                                               peers: peers), now: now)
        core.recordedCategories = categories
        member.core = core
        members[position] = member
        drain(position)
    }

    /// Hands the core what was typed by now, as the runtime does: nothing while it refuses input, else up to
    /// `CoreDriver.inputBatch` lines, then the end of input once nothing is left behind it, and one drain after
    /// them all, so that lines waiting together travel packed as they do for real.
    private func takeInput(_ position: Int) {
        // Most steps have nothing typed: the core is not asked (asking a group asks every session).
        guard !members[position].pendingInput.isEmpty
              || members[position].inputEnded && !members[position].finishRequested,
              members[position].core?.acceptsInput == true else { return }
        var taken = 0
        while taken < CoreDriver.inputBatch, let line = members[position].pendingInput.pop() {
            taken += 1
            do {
                try members[position].core?.submit(line, now: now)
            } catch {
                members[position].log.notices.append((now, "harness: submit refused: \(error)"))
            }
        }
        var finished = false
        if members[position].inputEnded, members[position].pendingInput.isEmpty, !members[position].finishRequested {
            members[position].finishRequested = true
            members[position].core?.finishInput(now: now)
            finished = true
        }
        if taken > 0 || finished { drain(position) }
    }

    /// Empties the core in the one driver order and puts what it sent on its links.
    private func drain(_ position: Int) {
        guard var core = members[position].core else { return }
        var sink = Sink(now: now, keepsEvents: keepsLogs)
        CoreDriver.drain(&core, now: now, into: &sink)
        deadlines[position] = core.nextTimeout()
        over[position] = core.state.isClosed
        members[position].core = core
        if let onDelivery {
            for delivery in sink.deliveries { onDelivery(position, now, delivery) }
        }
        // Taken out while it grows, so that appending does not copy it.
        var log = members[position].log
        members[position].log = MemberLog()
        if keepsLogs {
            log.events += sink.events
            log.notices += sink.notices
            log.deliveries += sink.deliveries.map { (now, members[position].runs, $0) }
            log.shownByRun[log.shownByRun.count - 1] += sink.deliveries.map(\.line)
        }
        for transmit in sink.transmits {
            let receiver = transmit.destination.flatMap { address in
                members.firstIndex { $0.listenAddress == address }
            }
            if keepsLogs {
                log.sent.append(SentDatagram(time: now, run: members[position].runs,
                                             destination: receiver.map { members[$0].label }, kind: transmit.kind,
                                             sequence: transmit.sequence, bytes: transmit.bytes.count))
            }
            guard let receiver else {
                log.undeliverable += 1
                continue
            }
            traffic[position][receiver].datagrams += 1
            traffic[position][receiver].bytes += transmit.bytes.count
            let datagram = InFlight(bytes: transmit.bytes, source: members[position].sourceAddress,
                                    sender: position, receiver: receiver)
            if isCut(position, receiver) { continue }
            _ = links[position][receiver].submit(datagram, now: now)
            busyLinks.insert(position << 16 | receiver)
        }
        members[position].log = log
    }

    /// Datagrams whose time has come arrive now, unless a partition stands between sender and receiver.
    private func releaseLinks() {
        // In the order of the links, so that every run of a seed is the same.
        for key in busyLinks.sorted() {
            let from = key >> 16, to = key & 0xFFFF
            for datagram in links[from][to].due(now: now) where !isCut(from, to) {
                heap.push(now.microseconds, .arrival(datagram))
            }
            if links[from][to].nextRelease() == nil { busyLinks.remove(key) }
        }
    }

    private func isCut(_ first: Int, _ second: Int) -> Bool {
        partitions.contains { cut in
            cut.start <= now && now < cut.end && cut.members.contains(first) != cut.members.contains(second)
        }
    }

    private func index(_ label: String) -> Int {
        guard let position = members.firstIndex(where: { $0.label == label }) else {
            preconditionFailure("no member labelled \(label)")
        }
        return position
    }

    /// A member's outputs as `CoreDriver` hands them over.
    private struct Sink: CoreSink {
        let now: Instant
        let keepsEvents: Bool
        var events: [(time: Instant, event: Event)] = []
        var notices: [(time: Instant, text: String)] = []
        var deliveries: [Delivery] = []
        var transmits: [Transmit] = []

        mutating func log(_ event: Event) {
            guard keepsEvents else { return }
            events.append((now, event))
            if case .notice(let text, _) = event { notices.append((now, text)) }
        }

        mutating func show(_ delivery: Delivery) { deliveries.append(delivery) }

        mutating func send(_ transmit: Transmit) { transmits.append(transmit) }
    }
}
