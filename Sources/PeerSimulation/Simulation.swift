import PeerSession
import PeerWire

/// Two sessions, A and B, talking over simulated links on a virtual clock: no sockets, no threads, no waiting.
///
/// Used by the property tests and by `peer simulate`. Everything that happens is decided by the seed, so a
/// failing run can be replayed exactly.
public final class Simulation {
    /// One of the two endpoints.
    public enum Side: Int, Sendable, CaseIterable, CustomStringConvertible {
        case a = 0, b = 1
        /// The other endpoint.
        public var other: Side { self == .a ? .b : .a }
        public var description: String { self == .a ? "A" : "B" }
    }

    private enum Happening {
        case arrival(Side, [UInt8])
        case type(Side, String)
        case endInput(Side)
        case restart(Side)
    }

    /// Builds the core an endpoint runs, for its first run and after each restart: a `Session` unless the
    /// simulation was given another (a secure channel around one, for instance).
    public typealias CoreFactory = @Sendable (Side, SessionConfiguration, Instant) -> any MessengerCore

    private struct Endpoint {
        var session: any MessengerCore
        var name: String
        var runs = 1
        var pendingInput = FIFO<(text: String, typedAt: Instant)>()
        var inputEnded = false
        var finishRequested = false
        /// When each submitted message was typed, in order, for latency.
        var typedAt: [Instant] = []
        var shown: [String] = []
        var shownAt: [Instant] = []
        /// What earlier runs showed before they were killed.
        var shownByEarlierRuns: [[String]] = []
        var datagramsSent = 0
        var bytesSent = 0
    }

    private var endpoints: [Endpoint]
    /// The two one-way links, A to B and B to A: each an impairment stage whose released datagrams arrive.
    private var links: [ImpairmentStage<[UInt8]>]
    private var heap = EventHeap<Happening>()
    private let tunables: Tunables
    private let linger: TimeSpan
    private let makeCore: CoreFactory
    private var now = Instant.zero
    private var partitions: [(start: Instant, end: Instant)] = []
    /// Sees every datagram a side sends before its link does, and says what the link gets instead: nothing (a
    /// drop), the datagram, a changed copy or several. For attack tests: an attacker on the path.
    public var tap: ((Side, [UInt8]) -> [[UInt8]])?
    /// Called with every event either session records, if set.
    public var onEvent: ((Side, Instant, Event) -> Void)?
    /// Called with the keys of every handshake either core exports (a secure channel with `exportsKeys`), if
    /// set.
    public var onKeyLog: ((Side, KeyLogEntry) -> Void)?
    /// Which event categories the sessions record (fewer is faster).
    public var recordedCategories: Set<EventCategory> = Set(EventCategory.allCases) {
        didSet { for side in Side.allCases { endpoints[side.rawValue].session.recordedCategories = recordedCategories } }
    }

    /// Sets up both endpoints at time zero.
    /// - Parameters:
    ///   - seed: determines every loss, duplicate and reordering.
    ///   - aToB: conditions on datagrams from A to B.
    ///   - bToA: conditions on datagrams from B to A.
    ///   - makeCore: what each endpoint runs (default: a `Session` with the configuration given).
    public init(seed: UInt64, aToB: LinkConditions, bToA: LinkConditions, tunables: Tunables = .standard,
                linger: TimeSpan = .seconds(5), makeCore: CoreFactory? = nil) {
        self.makeCore = makeCore ?? { _, configuration, now in Session(configuration: configuration, now: now) }
        links = [aToB, bToA].enumerated().map { index, link in
            ImpairmentStage(impairments: link.impairments, seed: seed &* 2 &+ UInt64(index))
        }
        self.tunables = tunables
        self.linger = linger
        endpoints = []
        for (index, name) in ["alice", "bob"].enumerated() {
            let identity = SessionID(startMilliseconds: 1, random: UInt16(index))
            let configuration = SessionConfiguration(name: name, sessionID: identity, linger: linger,
                                                     tunables: tunables)
            let side = Side(rawValue: index) ?? .a
            endpoints.append(Endpoint(session: self.makeCore(side, configuration, .zero), name: name))
        }
    }

    /// The user at `side` types `text` at time `at`.
    public func type(_ text: String, from side: Side, at time: TimeSpan) {
        heap.push(time.microseconds, .type(side, text))
    }

    /// The user at `side` ends input at time `at` (after everything typed before it is submitted).
    public func endInput(_ side: Side, at time: TimeSpan) {
        heap.push(time.microseconds, .endInput(side))
    }

    /// The process at `side` is killed at time `at` and started again at once with a new session identity; what
    /// it held is lost, as with SIGKILL.
    public func restart(_ side: Side, at time: TimeSpan) {
        heap.push(time.microseconds, .restart(side))
    }

    /// Virtual time elapsed so far (for a `tap` that injects something a little later).
    public var elapsed: TimeSpan { now - .zero }

    /// `bytes` arrive at `side` at time `at`, as if from the other side's address: a forgery, or a replay.
    public func inject(_ bytes: [UInt8], to side: Side, at time: TimeSpan) {
        heap.push(time.microseconds, .arrival(side, bytes))
    }

    /// Cuts both links from `at` for `duration`: everything sent in that window is lost.
    public func partition(at time: TimeSpan, for duration: TimeSpan) {
        partitions.append((Instant.zero + time, Instant.zero + time + duration))
    }

    /// Runs until both sessions have closed, nothing is left to happen, or `limit` of virtual time has passed.
    public func run(until limit: TimeSpan) -> SimulationReport {
        let end = Instant.zero + limit
        while true {
            var next = heap.nextKey.map { Instant(microseconds: $0) }
            for side in Side.allCases {
                for deadline in [endpoints[side.rawValue].session.nextTimeout(), links[side.rawValue].nextRelease()] {
                    guard let deadline else { continue }
                    next = min(next ?? deadline, deadline)
                }
            }
            guard let time = next, time <= end else { break }
            now = max(now, time)
            for side in Side.allCases { release(side) }
            // As the runtime's protocol thread does: each datagram answered as it is read; typed lines only
            // queued, then taken together (everything typed by now, a batch at a time) before the next flush, so
            // waiting input is packed as it is for real.
            while let key = heap.nextKey, key <= now.microseconds, let (_, happening) = heap.pop() {
                handle(happening)
            }
            for side in Side.allCases {
                takeInput(side)
                if let deadline = endpoints[side.rawValue].session.nextTimeout(), deadline <= now {
                    endpoints[side.rawValue].session.handleTimeout(now: now)
                }
                flush(side)
                // The runtime comes straight back for the rest of what is waiting, a batch per turn of its loop.
                while !endpoints[side.rawValue].pendingInput.isEmpty, endpoints[side.rawValue].session.acceptsInput {
                    takeInput(side)
                    flush(side)
                }
            }
            if Side.allCases.allSatisfy({ endpoints[$0.rawValue].session.state.isClosed }) { break }
        }
        return report()
    }

    private func handle(_ happening: Happening) {
        switch happening {
        case .arrival(let side, let bytes):
            bytes.withUnsafeBytes { endpoints[side.rawValue].session.receive($0, now: now) }
            flush(side)
        case .type(let side, let text):
            endpoints[side.rawValue].pendingInput.push((text, now))
        case .endInput(let side):
            endpoints[side.rawValue].inputEnded = true
        case .restart(let side):
            var endpoint = endpoints[side.rawValue]
            endpoint.runs += 1
            endpoint.shownByEarlierRuns.append(endpoint.shown)
            endpoint.shown = []
            endpoint.shownAt = []
            endpoint.pendingInput = FIFO()
            let identity = SessionID(startMilliseconds: UInt64(now.microseconds / 1000) + 2, random: UInt16(side.rawValue))
            let configuration = SessionConfiguration(name: endpoint.name, sessionID: identity, linger: linger,
                                                     tunables: tunables)
            endpoint.session = makeCore(side, configuration, now)
            endpoint.session.recordedCategories = recordedCategories
            endpoints[side.rawValue] = endpoint
        }
    }

    /// Hands the session what was typed by now, as the runtime does: nothing while its window is full, otherwise
    /// up to `CoreDriver.inputBatch` lines at once; then the end of input, once nothing is left behind it.
    private func takeInput(_ side: Side) {
        var endpoint = endpoints[side.rawValue]
        guard endpoint.session.acceptsInput else { return }
        var taken = 0
        while taken < CoreDriver.inputBatch, let input = endpoint.pendingInput.pop() {
            taken += 1
            do {
                try endpoint.session.submit(input.text, now: now)
                endpoint.typedAt.append(input.typedAt)
            } catch {
                continue
            }
        }
        if endpoint.inputEnded, endpoint.pendingInput.isEmpty, !endpoint.finishRequested {
            endpoint.finishRequested = true
            endpoint.session.finishInput(now: now)
        }
        endpoints[side.rawValue] = endpoint
    }

    /// Routes everything the session wants to send, shows what it delivered, reports what it decided.
    private func flush(_ side: Side) {
        var endpoint = endpoints[side.rawValue]
        var sink = Sink(side: side, now: now, onEvent: onEvent, onKeyLog: onKeyLog)
        CoreDriver.drain(&endpoint.session, now: now, into: &sink)
        endpoint.datagramsSent += sink.outgoing.count
        endpoint.bytesSent += sink.outgoing.reduce(0) { $0 + $1.count }
        endpoint.shown += sink.shown
        endpoint.shownAt += Array(repeating: now, count: sink.shown.count)
        endpoints[side.rawValue] = endpoint
        for bytes in sink.outgoing {
            for passed in tap?(side, bytes) ?? [bytes] { _ = links[side.rawValue].submit(passed, now: now) }
        }
        release(side)
    }

    /// One endpoint's outputs as `CoreDriver` hands them over: what it sends goes to its link once drained.
    private struct Sink: CoreSink {
        let side: Side
        let now: Instant
        let onEvent: ((Side, Instant, Event) -> Void)?
        let onKeyLog: ((Side, KeyLogEntry) -> Void)?
        var outgoing: [[UInt8]] = []
        var shown: [String] = []

        func log(_ event: Event) { onEvent?(side, now, event) }

        func exportKeys(_ entry: KeyLogEntry) { onKeyLog?(side, entry) }

        mutating func show(_ delivery: Delivery) { shown.append(delivery.text) }

        mutating func send(_ transmit: Transmit) { outgoing.append(transmit.bytes) }
    }

    /// Datagrams the link from `side` lets through now arrive at the other side.
    private func release(_ side: Side) {
        for bytes in links[side.rawValue].due(now: now) where !partitions.contains(where: { $0.start <= now && now < $0.end }) {
            heap.push(now.microseconds, .arrival(side.other, bytes))
        }
    }

    private func report() -> SimulationReport {
        var report = SimulationReport(endTime: now)
        for side in Side.allCases {
            let endpoint = endpoints[side.rawValue]
            let receiver = endpoints[side.other.rawValue]
            var latencies: [TimeSpan] = []
            for (index, shownAt) in receiver.shownAt.enumerated() where index < endpoint.typedAt.count {
                latencies.append(shownAt - endpoint.typedAt[index])
            }
            report.sides.append(SimulationReport.SideReport(
                shown: endpoint.shown, shownByEarlierRuns: endpoint.shownByEarlierRuns,
                datagramsSent: endpoint.datagramsSent, bytesSent: endpoint.bytesSent,
                statistics: endpoint.session.statistics, state: endpoint.session.state,
                latenciesOfMessagesSent: latencies, lastShownAt: endpoint.shownAt.last))
        }
        return report
    }
}

/// What a simulation produced.
public struct SimulationReport: Sendable {
    /// Per endpoint, what it showed and what it cost.
    public struct SideReport: Sendable {
        /// The other side's messages this endpoint's current run showed, in order.
        public var shown: [String]
        /// What each earlier run showed before it was restarted.
        public var shownByEarlierRuns: [[String]]
        /// Every datagram this endpoint produced, including those the link lost.
        public var datagramsSent: Int
        /// Their bytes (UDP payload), headers and tags included.
        public var bytesSent: Int
        /// The session's counters (of its current run).
        public var statistics: SessionStatistics
        /// Where the session ended up.
        public var state: SessionState
        /// For each of this endpoint's messages the other side showed: time from typing to showing.
        public var latenciesOfMessagesSent: [TimeSpan]
        /// When this endpoint last showed a message.
        public var lastShownAt: Instant?
    }

    /// Index with `Simulation.Side.rawValue`.
    public var sides: [SideReport] = []
    /// Virtual time when the run stopped.
    public var endTime: Instant

    /// The report for one side.
    public subscript(side: Simulation.Side) -> SideReport { sides[side.rawValue] }
}

extension SessionState {
    /// Whether the session is over.
    public var isClosed: Bool {
        if case .closed = self { return true }
        return false
    }
}
