import PeerSeed
import PeerSession
import Testing

/// Whole conversations with the original client model over a lossy link, over many seeds.
struct SeedNetworkTests {
    static let lines = 40

    @Test("no loss, both sides talking: each shows all of the other's lines; we show each exactly once")
    func noLoss() {
        for seed in UInt64(1)...20 {
            let (ours, theirs) = SeedNetwork.scripts(seed: seed, count: Self.lines)
            let report = SeedNetwork(seed: seed, loss: 0, ours: ours, theirs: theirs).run()
            #expect(report.weShowed == report.theirLines, "seed \(seed)")
            #expect(report.theyPrinted == report.ourLines, "seed \(seed): the original printed each line once")
            #expect(report.statistics.replays == 0, "seed \(seed)")
            #expect(!report.originalDied, "seed \(seed)")
            // Nothing says goodbye: the session ends by lingering, acknowledged if the original's last count was 40.
            guard case .closed(let outcome) = report.state else {
                Issue.record("seed \(seed): still open")
                continue
            }
            #expect(outcome.reason == .lingerExpired, "seed \(seed)")
            #expect(outcome.everythingAcknowledged == (report.statistics.acknowledged == UInt64(Self.lines)))
        }
    }

    @Test("20% loss each way: at least 90% of lines shown both ways, none twice by us, at most 3 datagrams a line")
    func twentyPercentLoss() {
        var theirsShown = 0.0, oursShown = 0.0, perLine = 0.0
        var worstTheirs = 1.0, worstOurs = 1.0, worstPerLine = 0.0
        let seeds = UInt64(1)...50
        for seed in seeds {
            let (ours, theirs) = SeedNetwork.scripts(seed: seed, count: Self.lines)
            let report = SeedNetwork(seed: seed, loss: 0.2, ours: ours, theirs: theirs).run()
            #expect(report.theirLinesShown >= 0.9, "seed \(seed): we showed \(report.theirLinesShown)")
            #expect(report.ourLinesShown >= 0.9, "seed \(seed): the original showed \(report.ourLinesShown)")
            #expect(!report.weShowedATwice, "seed \(seed)")
            #expect(report.datagramsPerLine <= 3, "seed \(seed): \(report.datagramsPerLine) datagrams a line")
            #expect(!report.originalDied, "seed \(seed)")
            theirsShown += report.theirLinesShown
            oursShown += report.ourLinesShown
            perLine += report.datagramsPerLine
            worstTheirs = min(worstTheirs, report.theirLinesShown)
            worstOurs = min(worstOurs, report.ourLinesShown)
            worstPerLine = max(worstPerLine, report.datagramsPerLine)
        }
        let runs = Double(seeds.count)
        print("seed network, 20% loss, \(seeds.count) seeds: we showed \(theirsShown / runs) of theirs (worst "
              + "\(worstTheirs)), the original showed \(oursShown / runs) of ours (worst \(worstOurs)), "
              + "\(perLine / runs) datagrams a line (worst \(worstPerLine))")
    }

    @Test("loss each way: the original's lines are shown in its order (at most 5% out of place at 20%, 10% at 30%)")
    func order() {
        for (loss, limit) in [(0.2, 0.05), (0.3, 0.10)] {
            var outOfPlace = 0, shown = 0
            for seed in UInt64(1)...50 {
                let (ours, theirs) = SeedNetwork.scripts(seed: seed, count: Self.lines)
                let report = SeedNetwork(seed: seed, loss: loss, ours: ours, theirs: theirs).run()
                #expect(!report.weShowedATwice, "seed \(seed)")
                outOfPlace += report.linesOutOfOrder
                shown += report.weShowed.count
            }
            print("seed network, \(Int(loss * 100))% loss, 50 seeds: \(outOfPlace) of \(shown) lines shown out of place")
            #expect(Double(outOfPlace) <= limit * Double(shown), "\(loss): \(outOfPlace) of \(shown) out of place")
        }
    }

    @Test("no loss: nothing is held back, each line is shown as it arrives")
    func noHoldWithoutLoss() {
        for seed in UInt64(1)...10 {
            let (ours, theirs) = SeedNetwork.scripts(seed: seed, count: Self.lines)
            let report = SeedNetwork(seed: seed, loss: 0, ours: ours, theirs: theirs).run()
            #expect(report.showDelays.allSatisfy { $0 <= 5 }, "seed \(seed): \(report.showDelays.max() ?? 0) ms")
        }
    }
}
