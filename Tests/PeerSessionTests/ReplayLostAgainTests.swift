import PeerSession
import PeerWire
import Testing

/// A replay that is lost again: a report that should have seen it, or the retransmission timer, sends it again at
/// once, instead of leaving it behind the one segment the timer probes with, one doubled timeout after another.
struct ReplayLostAgainTests {
    /// Alice sends messages 1 and 2, and 3 and 4 two milliseconds later, each alone; 4 ms after those, bob reports
    /// 3 and 4 held (a 4 ms round trip, far below the retransmission timeout's 25 ms floor), so 1 and 2, sent
    /// before them and older than the loss delay, are replayed together. Those replays are dropped here.
    /// Returns the harness at the moment of the replay.
    private func replaysOfOneAndTwoLost() throws -> Harness {
        var harness = Harness()
        for text in ["one", "two", "three", "four"] {
            if text == "three" { harness.now = harness.now + .milliseconds(2) }
            try harness.submit(text)
            #expect(try harness.sent().map(\.kind) == [.data])
        }
        harness.now = harness.now + .milliseconds(4)
        harness.receive(Self.report())
        #expect(try Self.replayed(harness.sent()) == [1, 2])
        _ = harness.events()
        return harness
    }

    /// Bob's acknowledgement: nothing counted, 3 and 4 held.
    private static func report() -> [UInt8] {
        Harness.fromBob(.ack, ack: 0, sack: [SequenceRange(lower: 3, upper: 4)].compactMap { $0 })
    }

    /// The sequence numbers the RESEND datagrams among `datagrams` carry, packed ones included.
    private static func replayed(_ datagrams: [Datagram]) -> [UInt64] {
        datagrams.filter { $0.kind == .resend }.flatMap { datagram -> [UInt64] in
            guard let first = datagram.sequence else { return [] }
            return (0..<UInt64(max(1, datagram.lengths.count))).map { first + $0 }
        }
    }

    /// A report's time of arrival alone is no evidence that a replay was lost: on real sockets reports queue
    /// behind the datagrams they describe, and taking late ones as evidence set off a replay storm (172
    /// transmissions a message in `scripts/sim-vs-real`, bulk at 1 ms and 30%). Only the timer replays them.
    @Test("a report that still shows replays missing, however late, does not replay them: only the timer does")
    func reportAloneDoesNotReplay() throws {
        var harness = try replaysOfOneAndTwoLost()
        let deadline = try #require(harness.session.nextTimeout())
        for step in 1...4 {
            harness.now = harness.now + .milliseconds(2)
            #expect(harness.now < deadline)
            harness.receive(Self.report())
            #expect(try Self.replayed(harness.sent()).isEmpty, "report \(step)")
        }
        #expect(harness.session.statistics.replaysLostAgain == 0)
    }

    @Test("the retransmission timer replays with its probe every replay the last report showed missing and overdue")
    func timerTakesOverdueReplays() throws {
        var harness = try replaysOfOneAndTwoLost()
        try harness.fireNextTimeout()
        let replayed = try Self.replayed(harness.sent())
        #expect(replayed == [1, 2])
        let resends = harness.events().compactMap { event -> LossReason? in
            if case .resend(_, _, let reason, _, _) = event { reason } else { nil }
        }
        #expect(resends == [.timeout, .overdue])
    }
}
