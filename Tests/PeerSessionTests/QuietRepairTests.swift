import PeerSession
import PeerSimulation
import Testing

/// While the other side is shown unreachable, timeout replays are counted, not logged one by one, and said in one
/// `repeated` event when it answers again (a member gone for minutes logged a pair of lines a second).
struct QuietRepairTests {
    @Test("replays while the other side is unreachable: one repeated event when it is back, not a pair a second")
    func replaysWhileUnreachableAreCounted() {
        let link = LinkConditions(delay: .milliseconds(5))
        let simulation = Simulation(seed: 3, aToB: link, bToA: link, linger: .seconds(600))
        var repairs: [(TimeSpan, Event)] = []
        simulation.onEvent = { side, now, event in
            guard side == .a else { return }
            switch event {
            case .resend, .mismatch, .repeated, .peerDown, .peerUp: repairs.append((now - .zero, event))
            default: break
            }
        }
        simulation.type("before the cut", from: .a, at: .milliseconds(100))
        simulation.partition(at: .seconds(1), for: .seconds(30))
        simulation.type("during the cut", from: .a, at: .seconds(2))
        simulation.endInput(.a, at: .seconds(40))
        simulation.endInput(.b, at: .seconds(40))
        let report = simulation.run(until: .seconds(120))
        #expect(report[.b].shown == ["before the cut", "during the cut"])
        let duringTheCut = repairs.filter { $0.0 > .seconds(8) && $0.0 < .seconds(31) }
        #expect(!duringTheCut.contains { if case .resend = $0.1 { true } else { false } },
                "\(duringTheCut.count) repair events while unreachable")
        let summaries = repairs.compactMap { if case .repeated(let name, let count, _, _, _) = $0.1 { (name, count) } else { nil } }
        #expect(summaries.count == 1 && summaries.first?.0 == "resend" && (summaries.first?.1 ?? 0) >= 20,
                "\(summaries)")
        #expect(report[.a].statistics.replays >= 20, "the replays themselves go on")
    }
}
