import PeerSession
import PeerSimulation
import Testing

/// Whole conversations on the simulated network: the protocol's promises, checked over many seeds.
struct SimulatedNetworkTests {
    static func messages(_ prefix: String, _ count: Int) -> [String] {
        (0..<count).map { "\(prefix) \($0) well-known -\($0) -resend" }
    }

    /// Runs a chat where A types `fromA` and B types `fromB`, 10 ms apart, then both end input.
    static func converse(
        seed: UInt64, conditions: LinkConditions, fromA: [String], fromB: [String]
    ) -> SimulationReport {
        // At 50% loss each way a round trip succeeds one time in four; give up only after a long silence.
        let simulation = Simulation(seed: seed, aToB: conditions, bToA: conditions, linger: .seconds(60))
        for (index, text) in fromA.enumerated() { simulation.type(text, from: .a, at: .milliseconds(Int64(5 + 10 * index))) }
        for (index, text) in fromB.enumerated() { simulation.type(text, from: .b, at: .milliseconds(Int64(7 + 10 * index))) }
        simulation.endInput(.a, at: .milliseconds(Int64(10 * fromA.count + 10)))
        simulation.endInput(.b, at: .milliseconds(Int64(10 * fromB.count + 10)))
        return simulation.run(until: .seconds(600))
    }

    @Test("exactly once, in order, both sides talking, loss 0–50%", arguments: [0.0, 0.1, 0.3, 0.5])
    func bothSidesTalking(loss: Double) {
        let fromA = Self.messages("a", 60)
        let fromB = Self.messages("b", 40)
        for seed in UInt64(1)...50 {
            let report = Self.converse(seed: seed, conditions: LinkConditions(delay: .milliseconds(5), loss: loss),
                                       fromA: fromA, fromB: fromB)
            #expect(report[.b].shown == fromA, "seed \(seed)")
            #expect(report[.a].shown == fromB, "seed \(seed)")
            // Closing cannot be certain (the last acknowledgement may always be lost), only very likely; at 50%
            // loss each way the odds of a lost goodbye are too high to demand it.
            if loss <= 0.3 {
                let completed = SessionState.closed(SessionOutcome(everythingAcknowledged: true, reason: .completed))
                #expect(report[.a].state == completed, "seed \(seed)")
                #expect(report[.b].state == completed, "seed \(seed)")
            }
            // A resend storm (replaying history on every mismatch) costs O(N) datagrams per message; the bound
            // is what loss itself costs, 1/(1-p), with room for acknowledgements and the odd spurious replay.
            let bound = 2.0 / (1 - loss) + 1
            #expect(Double(report[.a].datagramsSent) / Double(fromA.count) <= bound, "seed \(seed)")
        }
    }

    @Test("one side silent: its acknowledgements and heartbeats repair everything", arguments: [0.1, 0.3, 0.5])
    func oneSideSilent(loss: Double) {
        let fromA = Self.messages("only", 80)
        for seed in UInt64(100)...160 {
            let report = Self.converse(seed: seed, conditions: LinkConditions(delay: .milliseconds(2), loss: loss),
                                       fromA: fromA, fromB: [])
            #expect(report[.b].shown == fromA, "seed \(seed)")
            let replays = report[.a].statistics.replays
            let dataPerMessage = Double(report[.a].statistics.dataTransmissions + replays) / Double(fromA.count)
            #expect(dataPerMessage <= 1.7 / (1 - loss), "seed \(seed): \(dataPerMessage) transmissions per message")
        }
    }

    @Test("duplication and reordering never show a message twice or out of order")
    func duplicationAndReordering() {
        let conditions = LinkConditions(delay: .milliseconds(3), loss: 0.2, duplicate: 0.2, reorder: 0.2)
        let fromA = Self.messages("x", 50)
        let fromB = Self.messages("y", 50)
        for seed in UInt64(200)...300 {
            let report = Self.converse(seed: seed, conditions: conditions, fromA: fromA, fromB: fromB)
            #expect(report[.b].shown == fromA, "seed \(seed)")
            #expect(report[.a].shown == fromB, "seed \(seed)")
        }
    }

    @Test("no loss: no replays at all")
    func noLossNoReplays() {
        let report = Self.converse(seed: 1, conditions: LinkConditions(delay: .milliseconds(1)),
                                   fromA: Self.messages("a", 200), fromB: Self.messages("b", 200))
        #expect(report[.a].statistics.replays == 0)
        #expect(report[.b].statistics.replays == 0)
        #expect(report[.a].statistics.duplicates == 0)
    }

    @Test("a long line is split, repaired and reassembled intact", arguments: [UInt64(1), 2, 3])
    func longLine(seed: UInt64) {
        let line = String(repeating: "ünïcødé-✓ 🚀\t", count: 100_000 / 12)
        let report = Self.converse(seed: seed, conditions: LinkConditions(delay: .milliseconds(2), loss: 0.3),
                                   fromA: [line, "after"], fromB: ["short"])
        #expect(report[.b].shown == [line, "after"])
        #expect(report[.a].shown == ["short"])
    }

    @Test("bulk: everything queued at once arrives in order through 30% loss")
    func bulk() {
        let simulation = Simulation(seed: 7, aToB: LinkConditions(delay: .milliseconds(1), loss: 0.3),
                                    bToA: LinkConditions(delay: .milliseconds(1), loss: 0.3))
        let fromA = Self.messages("bulk", 3000)
        for text in fromA { simulation.type(text, from: .a, at: .zero) }
        simulation.endInput(.a, at: .zero)
        simulation.endInput(.b, at: .zero)
        let report = simulation.run(until: .seconds(600))
        #expect(report[.b].shown == fromA)
        #expect(report[.a].state == .closed(SessionOutcome(everythingAcknowledged: true, reason: .completed)))
    }

    @Test("a restarted peer gets what it had not shown; its new messages are not taken for duplicates")
    func restart() {
        for seed in UInt64(1)...30 {
            let conditions = LinkConditions(delay: .milliseconds(2), loss: 0.2)
            let simulation = Simulation(seed: seed, aToB: conditions, bToA: conditions)
            let fromA = Self.messages("survivor", 60)
            for (index, text) in fromA.enumerated() { simulation.type(text, from: .a, at: .milliseconds(Int64(5 + 10 * index))) }
            for index in 0..<20 { simulation.type("old b \(index)", from: .b, at: .milliseconds(Int64(6 + 10 * index))) }
            simulation.restart(.b, at: .milliseconds(300))
            let afterRestart = (0..<20).map { "new b \($0)" }
            for (index, text) in afterRestart.enumerated() {
                simulation.type(text, from: .b, at: .milliseconds(Int64(310 + 10 * index)))
            }
            simulation.endInput(.a, at: .milliseconds(700))
            simulation.endInput(.b, at: .milliseconds(700))
            let report = simulation.run(until: .seconds(600))
            // Everything A typed is shown by one of B's runs: the old run shows a prefix, the new run carries on
            // from no later than where the old one stopped, to the end.
            let shownByOldRun = report[.b].shownByEarlierRuns.first ?? []
            let shownByNewRun = report[.b].shown
            #expect(Array(fromA.prefix(shownByOldRun.count)) == shownByOldRun, "seed \(seed)")
            #expect(Array(fromA.suffix(shownByNewRun.count)) == shownByNewRun, "seed \(seed)")
            #expect(shownByOldRun.count + shownByNewRun.count >= fromA.count, "seed \(seed)")
            // B's new messages all arrive, after whatever A saw of the old run, never mistaken for duplicates.
            #expect(Array(report[.a].shown.suffix(afterRestart.count)) == afterRestart, "seed \(seed)")
        }
    }
}

/// Every combination of impairments at once: the promises hold in all of them.
struct ImpairmentCombinationTests {
    static let combinations: [LinkConditions] = {
        var all: [LinkConditions] = []
        for delay in [Int64(1), 20] {
            for loss in [0.0, 0.2] {
                for duplicate in [0.0, 0.1] {
                    for reorder in [0.0, 0.2] {
                        all.append(LinkConditions(delay: .milliseconds(delay), loss: loss, duplicate: duplicate,
                                                  reorder: reorder))
                    }
                }
            }
        }
        return all
    }()

    @Test("exactly once and in order under loss, duplication, reordering and delay together", arguments: combinations)
    func combination(conditions: LinkConditions) {
        let fromA = SimulatedNetworkTests.messages("a", 60)
        let fromB = SimulatedNetworkTests.messages("b", 30)
        for seed in UInt64(1)...20 {
            let report = SimulatedNetworkTests.converse(seed: seed, conditions: conditions, fromA: fromA, fromB: fromB)
            #expect(report[.b].shown == fromA, "seed \(seed)")
            #expect(report[.a].shown == fromB, "seed \(seed)")
            // Loss costs 1/(1-p) transmissions a message; anything like a replay storm costs far more.
            let bound = 2.5 / (1 - conditions.loss)
            #expect(Double(report[.a].datagramsSent) / Double(fromA.count) <= bound, "seed \(seed)")
        }
    }
}

/// Reachability: a lossy but live path must not be shown as unreachable; a dead one must.
struct ReachabilityTests {
    @Test("two idle peers at 30% loss each way stay reachable for ten minutes")
    func idleLossyPeersStayUp() {
        let link = LinkConditions(delay: .milliseconds(1), loss: 0.3)
        for seed in UInt64(1)...5 {
            let simulation = Simulation(seed: seed, aToB: link, bToA: link, linger: .seconds(3600))
            var downs = 0
            simulation.onEvent = { _, _, event in if case .peerDown = event { downs += 1 } }
            simulation.type("hello", from: .a, at: .milliseconds(5))
            _ = simulation.run(until: .seconds(600))
            #expect(downs == 0, "seed \(seed): shown unreachable \(downs) times")
        }
    }

    @Test("through a partition: shown unreachable within a few heartbeat periods, back when it heals, nothing lost")
    func partition() {
        let simulation = Simulation(seed: 1, aToB: LinkConditions(loss: 0.1), bToA: LinkConditions(loss: 0.1),
                                    linger: .seconds(3600))
        var downAt: [Simulation.Side: Instant] = [:]
        var backAt: [Simulation.Side: Instant] = [:]
        simulation.onEvent = { side, now, event in
            if case .peerDown = event, downAt[side] == nil { downAt[side] = now }
            if case .peerUp(_, _, .answeredAgain) = event, backAt[side] == nil { backAt[side] = now }
        }
        let fromA = (0..<100).map { "line \($0)" }
        for (index, text) in fromA.enumerated() { simulation.type(text, from: .a, at: .milliseconds(Int64(100 * index))) }
        simulation.partition(at: .seconds(2), for: .seconds(8))
        simulation.endInput(.a, at: .seconds(11))
        simulation.endInput(.b, at: .seconds(11))
        let report = simulation.run(until: .seconds(120))
        #expect(report[.b].shown == fromA)
        for side in Simulation.Side.allCases {
            let down = downAt[side]?.microseconds ?? .max
            #expect(down > TimeSpan.seconds(2).microseconds && down <= TimeSpan.seconds(8).microseconds, "\(side)")
            let back = backAt[side]?.microseconds ?? .max
            #expect(back >= TimeSpan.seconds(10).microseconds && back <= TimeSpan.seconds(12).microseconds, "\(side)")
        }
    }
}
