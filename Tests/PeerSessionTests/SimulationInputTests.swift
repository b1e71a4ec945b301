import PeerSession
import PeerSimulation
import PeerWire
import Testing

/// The simulator takes typed input as the runtime does, so its datagram counts are the runtime's.
struct SimulationInputTests {
    static let lines = (0..<300).map { "line \($0) " + String(repeating: "x", count: 56) }

    /// DATA datagrams (the end-of-input segment's included) A's session sends at time zero, and in all, in a
    /// lossless simulation where `lines` are typed `apart`.
    static func simulatedFirstTransmissions(apart: TimeSpan) -> (atZero: Int, total: Int) {
        let simulation = Simulation(seed: 1, aToB: LinkConditions(delay: .milliseconds(5)),
                                    bToA: LinkConditions(delay: .milliseconds(5)))
        var atZero = 0
        var total = 0
        simulation.onEvent = { side, now, event in
            guard side == .a, case .send(.data, _, _, _, _, _, _) = event else { return }
            total += 1
            if now == .zero { atZero += 1 }
        }
        for (index, line) in lines.enumerated() { simulation.type(line, from: .a, at: apart * Int64(index)) }
        simulation.endInput(.a, at: apart * Int64(lines.count))
        simulation.endInput(.b, at: .zero)
        let report = simulation.run(until: .seconds(60))
        #expect(report[.b].shown == lines)
        return (atZero, total)
    }

    @Test("lines waiting together are taken a batch at a time and packed, as the runtime takes them")
    func waitingInputIsPacked() {
        // What PeerRuntime does with lines already queued and input ended: hand over up to a batch (the end of
        // input with the last), drain, repeat.
        var session = Session(configuration: SessionConfiguration(name: "alice", sessionID: SessionID(rawValue: 1)),
                              now: .zero)
        var reference = DataCounter()
        var waiting = Self.lines[...]
        while !waiting.isEmpty, session.acceptsInput {
            for line in waiting.prefix(CoreDriver.inputBatch) { try? session.submit(line, now: .zero) }
            waiting = waiting.dropFirst(CoreDriver.inputBatch)
            if waiting.isEmpty { session.finishInput(now: .zero) }
            CoreDriver.drain(&session, now: .zero, into: &reference)
        }
        let simulated = Self.simulatedFirstTransmissions(apart: .zero)
        #expect(reference.datagrams < Self.lines.count / 4)
        #expect(simulated.atZero == reference.datagrams)
    }

    @Test("a line typed on its own leaves at once, alone")
    func typedLinesLeaveAlone() {
        let simulated = Self.simulatedFirstTransmissions(apart: .milliseconds(10))
        // Each line in a datagram of its own, and the end-of-input segment in one more.
        #expect(simulated.total == Self.lines.count + 1)
    }
}

/// Counts DATA datagrams.
private struct DataCounter: CoreSink {
    var datagrams = 0

    func log(_ event: Event) {}
    func show(_ delivery: Delivery) {}
    mutating func send(_ transmit: Transmit) { if transmit.kind == .data { datagrams += 1 } }
}
