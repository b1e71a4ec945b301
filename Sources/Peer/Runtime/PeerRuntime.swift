import Foundation
import PeerChannel
import PeerGroup
import PeerSeed
import PeerSession
import PeerSimulation
import PeerTransport
import PeerWire

/// Runs one peer for real: sockets, a protocol thread, the clock, and the loss simulation, around a `Session`.
///
/// The session is touched only by the protocol thread (the original design's "listener thread"), which waits on
/// the listen socket, the send socket's error queue and a waker, with the session's next timeout as the limit.
/// Other threads hand it input through `submit`, `finishInput` and `interrupt`.
public final class PeerRuntime: @unchecked Sendable {
    // Everything below `queue`, `waker` and `interruptRequested` belongs to the protocol thread once started;
    // that confinement is why the class can be @unchecked Sendable.
    private let configuration: RuntimeConfiguration
    private let listenSocket: UDPSocket
    private var sendSocket: UDPSocket?
    private var destination = SocketAddress.loopback(port: 0)
    /// Members' listen addresses as the group core names them, turned into socket addresses once each.
    private var addresses: [PeerAddress: SocketAddress] = [:]
    /// The protocol core: `GroupCore` (PEER/2: a secure channel with each member), `Session` (PEER/1), or
    /// `SeedSession` for the original clients' wire format.
    private var session: any MessengerCore
    private let sessionID: SessionID
    private let sessionConfiguration: SessionConfiguration
    private var output: RuntimeOutput?
    private var impairment: ImpairmentStage<Transmit>
    private var simulatedDrops = 0
    /// Where a refusal (ICMP port unreachable) was logged: a peer that is not running yet costs one log line, not
    /// one per datagram. Two peers: cleared when the other side is heard from. A group hears from other members
    /// all the time, so it says each address's refusal once (its notices say when a member is back).
    private var refusalsLogged: Set<String> = []
    /// Counts floods of rejects, duplicates and errors so they cost a line a second, not one each.
    private var repeats: EventAggregator
    /// Datagrams refused here, before the session saw them (wrong host, truncated): the summary counts them too.
    private var runtimeRejects = 0
    /// Lines `submit` accepted that never reached the session or that it refused: the summary names them.
    private var linesNotSent = 0
    private let queue = InputQueue(capacity: 1024)
    private let waker: Waker
    private let interruptRequested = NSCondition()
    private var interruptFlag = false
    private let done = DispatchSemaphore(value: 0)
    private var summary: RuntimeSummary?

    /// Binds the listen socket (dual-stack IPv6, or IPv4 where IPv6 is missing) and prepares the session.
    /// - Throws: `SocketError`, e.g. `.addressInUse(port:)` when the listen port is taken.
    public init(configuration: RuntimeConfiguration) throws(SocketError) {
        self.configuration = configuration
        repeats = EventAggregator(loggedPerWindow: configuration.repeatsLoggedPerSecond)
        do {
            listenSocket = try UDPSocket.bound(family: .ipv6, port: configuration.listenPort, dualStack: true)
        } catch .addressFamilyNotSupported {
            listenSocket = try UDPSocket.bound(family: .ipv4, port: configuration.listenPort)
        }
        listenSocket.setReceiveBufferSize(4 << 20)
        waker = try Waker()
        var entropy = SystemRandomNumberGenerator()
        sessionID = SessionID(startMilliseconds: UInt64(max(0, Clocks.wallMicroseconds() / 1000)),
                              random: UInt16.random(in: 0...UInt16.max, using: &entropy))
        impairment = ImpairmentStage(impairments: configuration.impairments, seed: configuration.seed)
        let sessionConfiguration = SessionConfiguration(
            name: configuration.name, sessionID: sessionID, linger: configuration.linger,
            tunables: configuration.tunables, entropy: UInt64.random(in: 0...UInt64.max, using: &entropy))
        self.sessionConfiguration = sessionConfiguration
        switch configuration.wire {
        case .peer:
            // PEER/2's group core is made by `start`, which knows whom to dial.
            session = Session(configuration: sessionConfiguration, now: Clocks.monotonic())
        case .seed:
            session = SeedSession(
                configuration: SeedConfiguration(name: configuration.name, linger: configuration.linger),
                now: Clocks.monotonic())
        }
        session.recordedCategories = configuration.loggedCategories
    }

    /// A group member (PEER/2) that dials `peers`, its channels built from our keys and pins.
    private func makeGroup(security: RuntimeConfiguration.Security, peers: [SocketAddress]) -> GroupCore {
        let channel = ChannelConfiguration(
            session: sessionConfiguration, staticKey: security.staticKey, preSharedKey: security.preSharedKey,
            knownKeys: security.knownKeys, expectedKey: security.expectedKey, exportsKeys: security.exportsKeys,
            listenPort: listenPort)
        var group = GroupCore(
            configuration: GroupConfiguration(channel: channel, publicKey: security.publicKey,
                                              peers: peers.map(Self.peerAddress)),
            now: Clocks.monotonic())
        group.recordedCategories = configuration.loggedCategories
        return group
    }

    static func peerAddress(_ address: SocketAddress) -> PeerAddress {
        PeerAddress(host: address.host, port: address.port)
    }

    /// Where a member's datagrams go: its listen address as a socket address (remembered once made).
    private func socketAddress(for transmit: Transmit) -> SocketAddress? {
        guard let target = transmit.destination else { return destination }
        if let known = addresses[target] { return known }
        guard let made = SocketAddress(numericHost: target.host, port: target.port) else { return nil }
        if addresses.count > 4096 { addresses.removeAll() }
        addresses[target] = made
        return made
    }

    /// The port the listener receives on (useful when configured as 0).
    public var listenPort: UInt16 { (try? listenSocket.localAddress().port) ?? configuration.listenPort }

    /// This run's session identity.
    public var sessionIdentity: SessionID { sessionID }

    /// Binds the send socket to the source port and starts the protocol thread, talking to `destination`.
    /// - Throws: `SocketError` if the source port cannot be bound.
    public func start(destination: SocketAddress, output: RuntimeOutput) throws(SocketError) {
        try start(peers: [destination], output: output)
    }

    /// Binds the send socket to the source port and starts the protocol thread. PEER/2 dials every address in
    /// `peers` (none: it waits for others to join); PEER/1 and `--wire seed` talk to the first alone.
    /// - Throws: `SocketError` if the source port cannot be bound.
    public func start(peers: [SocketAddress], output: RuntimeOutput) throws(SocketError) {
        let socket: UDPSocket
        if let security = configuration.security, configuration.wire == .peer {
            // Members may be on IPv4 and IPv6 alike: one dual-stack socket reaches both.
            do {
                socket = try UDPSocket.bound(family: .ipv6, port: configuration.sourcePort, dualStack: true)
            } catch .addressFamilyNotSupported {
                socket = try UDPSocket.bound(family: .ipv4, port: configuration.sourcePort)
            }
            session = makeGroup(security: security, peers: peers)
        } else {
            socket = try UDPSocket.bound(family: peers.first?.family ?? .ipv4, port: configuration.sourcePort)
        }
        try? socket.enableDeliveryFailureReports()
        sendSocket = socket
        self.destination = peers.first ?? destination
        self.output = output
        let thread = Thread { [self] in run() }
        thread.name = "peer-protocol"
        thread.start()
    }

    /// The bound source port (after `start`).
    public var sourcePort: UInt16 { (try? sendSocket?.localAddress().port) ?? configuration.sourcePort }

    /// Hands a line to the protocol thread; blocks while a window's worth of input is already waiting.
    /// Returns false once the session is over.
    @discardableResult
    public func submit(_ line: String) -> Bool {
        let accepted = queue.push(line)
        waker.wake()
        return accepted
    }

    /// Ends input: once everything typed is sent, the session announces its end.
    public func finishInput() {
        queue.end()
        waker.wake()
    }

    /// Stops the session at once (SIGINT, SIGTERM).
    public func interrupt() {
        interruptRequested.lock()
        interruptFlag = true
        interruptRequested.unlock()
        waker.wake()
    }

    /// Blocks until the session is over and returns its summary.
    public func wait() -> RuntimeSummary {
        done.wait()
        done.signal()
        return summary ?? RuntimeSummary(
            name: configuration.name, outcome: SessionOutcome(everythingAcknowledged: false, reason: .interrupted),
            statistics: SessionStatistics(), simulatedDrops: simulatedDrops, linesNotSent: linesNotSent)
    }

    // MARK: The protocol thread

    private func run() {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 65_536, alignment: 8)
        defer { buffer.deallocate() }
        var inputEnded = false
        while true {
            let now = Clocks.monotonic()
            if isInterrupted() { session.interrupt(now: now) }
            if !inputEnded { inputEnded = takeInput(now: now) }
            if let deadline = session.nextTimeout(), deadline <= now { session.handleTimeout(now: now) }
            flush(now: now)
            for repeated in repeats.flush(now: now) { write(repeated) }
            for transmit in impairment.due(now: now) { send(transmit) }
            if case .closed = session.state { break }
            output?.idle()
            let wake = [session.nextTimeout(), impairment.nextRelease(), repeats.nextDeadline].compactMap { $0 }.min()
            let timeout = wake.map { max(0, ($0 - Clocks.monotonic()).microseconds) }
            guard let sendSocket else { break }
            do {
                let ready = try Poller.wait(sockets: [listenSocket, sendSocket], waker: waker,
                                            timeoutMicroseconds: timeout)
                if ready.readiness.first?.contains(.readable) == true { receiveAll(into: buffer) }
                if ready.readiness.last?.contains(.error) == true { reportDeliveryFailures() }
            } catch {
                log(.socketError("waiting for datagrams failed: \(error)"))
            }
        }
        flush(now: Clocks.monotonic())
        for repeated in repeats.finish(now: Clocks.monotonic()) { write(repeated) }
        output?.idle()
        // An interrupt stops the session before it takes what is still queued: those lines were accepted by
        // `submit` and are never sent, so they are counted, and the outcome cannot claim all was acknowledged.
        linesNotSent += queue.close()
        var outcome = SessionOutcome(everythingAcknowledged: false, reason: .interrupted)
        if case .closed(let closed) = session.state { outcome = closed }
        if linesNotSent > 0 { outcome.everythingAcknowledged = false }
        var statistics = session.statistics
        statistics.rejected += runtimeRejects
        summary = RuntimeSummary(
            name: configuration.name, outcome: outcome, statistics: statistics, simulatedDrops: simulatedDrops,
            linesNotSent: linesNotSent)
        summary?.unconfirmed = (session as? SeedSession)?.unconfirmed
        listenSocket.close()
        sendSocket?.close()
        done.signal()
    }

    private func isInterrupted() -> Bool {
        interruptRequested.lock()
        defer { interruptRequested.unlock() }
        return interruptFlag
    }

    /// Moves typed lines into the session while its window has room. Returns true once input has ended.
    private func takeInput(now: Instant) -> Bool {
        guard session.acceptsInput else { return false }
        let (lines, ended) = queue.take(limit: CoreDriver.inputBatch)
        for line in lines {
            do {
                try session.submit(line, now: now)
            } catch .noRecipients {
                linesNotSent += 1  // the core's notice said so already
            } catch {
                linesNotSent += 1
                log(.reject(reason: "not sent: \(error)", bytes: line.utf8.count))
            }
        }
        if ended { session.finishInput(now: now) }
        return ended
    }

    /// Reads every datagram waiting on the listen socket (up to a batch), checking the sender's address first.
    private func receiveAll(into buffer: UnsafeMutableRawBufferPointer) {
        for _ in 0..<256 {
            let received: ReceivedDatagram
            do {
                received = try listenSocket.receive(into: buffer)
            } catch .wouldBlock {
                return
            } catch {
                log(.socketError("receive failed: \(error)"))
                return
            }
            let now = Clocks.monotonic()
            let source = Self.peerAddress(received.source)
            let firstByte = received.count > 0 ? buffer[0] : 0
            let admitted = session.admits(from: source, firstByte: firstByte)
            if let admitted {
                guard admitted else {
                    runtimeRejects += 1
                    log(.reject(reason: "datagram from \(received.source), not from a member's host", bytes: received.count),
                        reasonClass: "not from a member's host (from \(received.source.host))")
                    continue
                }
            } else if !received.source.isSameHost(as: destination) {
                runtimeRejects += 1
                log(.reject(reason: "datagram from \(received.source), not the destination host \(destination.host)",
                            bytes: received.count),
                    reasonClass: "not the destination host (from \(received.source.host))")
                continue
            }
            guard !received.truncated else {
                runtimeRejects += 1
                log(.reject(reason: "datagram larger than \(buffer.count) bytes", bytes: received.count))
                continue
            }
            if admitted == nil { refusalsLogged.removeAll() }
            session.receive(UnsafeRawBufferPointer(rebasing: buffer[0..<received.count]), from: source, now: now)
            flush(now: now)
        }
    }

    private func reportDeliveryFailures() {
        guard let sendSocket else { return }
        while let failure = try? sendSocket.takeDeliveryFailure() {
            let target = failure.destination.map { " to \($0)" } ?? ""
            if failure.error == .connectionRefused {
                guard refusalsLogged.insert(target).inserted, refusalsLogged.count < 1024 else { continue }
                log(.socketError("datagram\(target) refused: nothing is listening there (ICMP port unreachable); "
                                 + "will keep trying"))
            } else {
                log(.socketError("datagram\(target) failed: \(failure.error)"))
            }
        }
    }

    /// Sends what the session wants sent (minus simulated drops), shows what it delivered, logs what it decided —
    /// in `CoreDriver`'s order: deliveries are written out of the process before any datagram acknowledges them.
    private func flush(now: Instant) {
        var sink = Sink(runtime: self, now: now)
        CoreDriver.drain(&session, now: now, into: &sink)
    }

    /// The runtime as `CoreDriver` sees it: the log, the output, and the sockets behind the loss simulation.
    private struct Sink: CoreSink {
        let runtime: PeerRuntime
        let now: Instant

        func log(_ event: Event) {
            if case .pinned(let name, _, let publicKey) = event { runtime.output?.pinned(name, publicKey) }
            runtime.log(event)
        }

        func show(_ delivery: Delivery) { runtime.output?.deliver(delivery) }

        func commitDeliveries() { runtime.output?.idle() }

        func send(_ transmit: Transmit) { runtime.impair(transmit, now: now) }

        func exportKeys(_ entry: KeyLogEntry) { runtime.output?.keyLog(entry) }
    }

    /// Sends a datagram through the loss simulation, logging what it does to it, and whatever it releases now.
    private func impair(_ transmit: Transmit, now: Instant) {
        if configuration.impairments.isEmpty {
            send(transmit)
            return
        }
        for fate in impairment.submit(transmit, now: now) {
            switch fate {
            case .dropped:
                simulatedDrops += 1
                log(.drop(kind: transmit.kind, sequence: transmit.sequence, bytes: transmit.bytes.count))
            case .duplicated:
                log(.impair(kind: transmit.kind, sequence: transmit.sequence, effect: "duplicate", delay: nil))
            case .reordered:
                log(.impair(kind: transmit.kind, sequence: transmit.sequence, effect: "reorder", delay: nil))
            case .delayed(let delay):
                log(.impair(kind: transmit.kind, sequence: transmit.sequence, effect: "delay", delay: delay))
            }
        }
        for due in impairment.due(now: now) { send(due) }
    }

    private func send(_ transmit: Transmit) {
        guard let target = socketAddress(for: transmit) else {
            log(.socketError("cannot send \(transmit.kind.rawValue) to \(transmit.destination?.description ?? "?"): "
                             + "not an address"))
            return
        }
        do {
            switch transmit.route {
            case .sendSocket:
                try sendSocket?.send(transmit.bytes, to: target)
            case .freshSocket:
                // Replays leave from a socket of their own, as in the original design.
                let fresh = try UDPSocket.bound(family: target.family, port: 0)
                defer { fresh.close() }
                try fresh.send(transmit.bytes, to: target)
            }
        } catch {
            log(.socketError("sending \(transmit.kind.rawValue) to \(target) failed: \(error)"))
        }
    }

    /// Logs `event` unless it is one of a flood (see `EventAggregator`); `reasonClass` is what a flood's summary
    /// counts it under, when its reason alone would not group it well.
    private func log(_ event: Event, reasonClass: String? = nil) {
        guard configuration.loggedCategories.contains(event.category), output != nil else { return }
        for shown in repeats.record(event, reasonClass: reasonClass, now: Clocks.monotonic()) { write(shown) }
    }

    private func write(_ event: Event) {
        output?.log(LogRecord(wallMicroseconds: Clocks.wallMicroseconds(), name: configuration.name,
                              session: sessionID, event: event))
    }
}
