import PeerSession
import PeerSimulation
import PeerWire
import Testing

/// A session in the `.sealed` carriage keeps every promise of the readable one when something carries its compact
/// datagrams with the sender's name and runs beside them, as a secure channel does (here in the clear: this checks
/// the session's side of the contract, not the sealing).
struct SealedCarriageTests {
    /// Frames each compact datagram as [sender's run, 8 bytes][1 if `to` follows][`to`, 8 bytes][name length][name]
    /// and hands what arrives to the session already decoded, as a channel does after opening it.
    struct ClearChannel: MessengerCore {
        var session: Session
        var name: String

        init(configuration: SessionConfiguration, now: Instant) {
            var sealed = configuration
            sealed.carriage = .sealed(overhead: 25)
            session = Session(configuration: sealed, now: now)
            name = configuration.name
        }

        mutating func submit(_ text: String, now: Instant) throws(SubmitError) { try session.submit(text, now: now) }
        mutating func finishInput(now: Instant) { session.finishInput(now: now) }
        mutating func interrupt(now: Instant) { session.interrupt(now: now) }
        mutating func handleTimeout(now: Instant) { session.handleTimeout(now: now) }
        mutating func pollDelivery() -> Delivery? { session.pollDelivery() }
        mutating func pollEvent() -> Event? { session.pollEvent() }
        func nextTimeout() -> Instant? { session.nextTimeout() }
        var state: SessionState { session.state }
        var statistics: SessionStatistics { session.statistics }
        var acceptsInput: Bool { session.acceptsInput }
        var recordedCategories: Set<EventCategory> {
            get { session.recordedCategories }
            set { session.recordedCategories = newValue }
        }

        mutating func pollTransmit(now: Instant) -> Transmit? {
            guard var transmit = session.pollTransmit(now: now) else { return nil }
            var framed = bigEndian(session.configuration.sessionID.rawValue)
            framed.append(transmit.to == nil ? 0 : 1)
            framed += bigEndian(transmit.to?.rawValue ?? 0)
            framed.append(UInt8(name.utf8.count))
            framed += Array(name.utf8)
            transmit.bytes = framed + transmit.bytes
            return transmit
        }

        mutating func receive(_ bytes: UnsafeRawBufferPointer, now: Instant) {
            let bytes = Array(bytes)
            guard bytes.count >= 18 else { return }
            let nameLength = Int(bytes[17])
            guard bytes.count >= 18 + nameLength else { return }
            let context = CompactWire.Context(
                from: String(decoding: bytes[18..<(18 + nameLength)], as: UTF8.self),
                session: SessionID(rawValue: number(bytes[0..<8])),
                to: bytes[8] == 1 ? SessionID(rawValue: number(bytes[9..<17])) : nil)
            // Keys agreed with one of our runs open nothing sent to another: a datagram for an earlier run of ours
            // does not reach this one.
            if let to = context.to, to != session.configuration.sessionID { return }
            guard let datagram = try? CompactWire.decode(Array(bytes[(18 + nameLength)...]), context: context)
            else { return }
            session.receive(authenticated: datagram, bytes: bytes.count, now: now)
        }

        private func bigEndian(_ value: UInt64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: value >> (56 - 8 * $0)) } }
        private func number(_ bytes: ArraySlice<UInt8>) -> UInt64 { bytes.reduce(0) { $0 << 8 | UInt64($1) } }
    }

    static func simulation(seed: UInt64, loss: Double) -> Simulation {
        let conditions = LinkConditions(delay: .milliseconds(3), loss: loss)
        return Simulation(seed: seed, aToB: conditions, bToA: conditions, linger: .seconds(60)) { _, configuration, now in
            ClearChannel(configuration: configuration, now: now)
        }
    }

    @Test("exactly once, in order, both sides talking, through loss", arguments: [0.0, 0.2, 0.4])
    func bothSidesTalking(loss: Double) {
        let fromA = SimulatedNetworkTests.messages("a", 60)
        let fromB = SimulatedNetworkTests.messages("b", 40)
        for seed in UInt64(1)...30 {
            let simulation = Self.simulation(seed: seed, loss: loss)
            for (index, text) in fromA.enumerated() { simulation.type(text, from: .a, at: .milliseconds(Int64(5 + 10 * index))) }
            for (index, text) in fromB.enumerated() { simulation.type(text, from: .b, at: .milliseconds(Int64(7 + 10 * index))) }
            simulation.endInput(.a, at: .milliseconds(700))
            simulation.endInput(.b, at: .milliseconds(700))
            let report = simulation.run(until: .seconds(600))
            #expect(report[.b].shown == fromA, "seed \(seed)")
            #expect(report[.a].shown == fromB, "seed \(seed)")
            // Nothing waits to be proven: the carrier vouches for the run.
            #expect(report[.a].statistics.challenges == 0 && report[.b].statistics.challenges == 0, "seed \(seed)")
        }
    }

    @Test("a restart is taken at once, and the new run gets what the old one had not shown")
    func restart() {
        for seed in UInt64(1)...30 {
            let simulation = Self.simulation(seed: seed, loss: 0.2)
            let fromA = SimulatedNetworkTests.messages("survivor", 60)
            for (index, text) in fromA.enumerated() { simulation.type(text, from: .a, at: .milliseconds(Int64(5 + 10 * index))) }
            simulation.restart(.b, at: .milliseconds(300))
            let afterRestart = (0..<20).map { "new b \($0)" }
            for (index, text) in afterRestart.enumerated() {
                simulation.type(text, from: .b, at: .milliseconds(Int64(310 + 10 * index)))
            }
            simulation.endInput(.a, at: .milliseconds(700))
            simulation.endInput(.b, at: .milliseconds(700))
            let report = simulation.run(until: .seconds(600))
            let shownByOldRun = report[.b].shownByEarlierRuns.first ?? []
            let shownByNewRun = report[.b].shown
            #expect(Array(fromA.prefix(shownByOldRun.count)) == shownByOldRun, "seed \(seed)")
            #expect(Array(fromA.suffix(shownByNewRun.count)) == shownByNewRun, "seed \(seed)")
            #expect(shownByOldRun.count + shownByNewRun.count >= fromA.count, "seed \(seed)")
            #expect(Array(report[.a].shown.suffix(afterRestart.count)) == afterRestart, "seed \(seed)")
            #expect(report[.a].statistics.challenges == 0, "seed \(seed)")
        }
    }

    @Test("a compact datagram is never larger than its readable form")
    func compactNeverLarger() {
        let simulation = Self.simulation(seed: 9, loss: 0.3)
        let long = String(repeating: "é", count: 3_000)
        for index in 0..<30 { simulation.type(index.isMultiple(of: 3) ? long : "short \(index)", from: .a,
                                              at: .milliseconds(Int64(5 + index))) }
        simulation.endInput(.a, at: .milliseconds(100))
        simulation.endInput(.b, at: .milliseconds(100))
        var largest = 0
        simulation.onEvent = { _, _, event in
            if case .send(_, _, _, _, _, _, let bytes) = event { largest = max(largest, bytes) }
        }
        let report = simulation.run(until: .seconds(600))
        #expect(report[.b].shown.count == 30)
        // Events count the 25 bytes a secure channel adds around it (a 9-byte header and a 16-byte tag).
        #expect(largest > 900 && largest <= Wire.maxDatagramBytes)
    }
}
