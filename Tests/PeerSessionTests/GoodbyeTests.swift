import PeerSession
import PeerWire
import Testing

/// A complete side says goodbye five times, one retransmission timeout apart, before it closes.
struct GoodbyeTests {
    @Test("with a long round trip, every goodbye is said before the session closes")
    func everyGoodbyeSaid() throws {
        var harness = Harness()
        harness.session.finishInput(now: harness.now)
        #expect(try harness.sent().contains { $0.fin })
        // Bob's end, acknowledging ours, 600 ms later: a retransmission timeout of 675 ms, so four of them are
        // longer than the 1 s of quiet after which a closing session may go.
        harness.now = harness.now + .milliseconds(600)
        harness.receive(Harness.fromBob(.data, sequence: 1, ack: 1, fin: true))
        var goodbyes = try harness.sent().filter { $0.kind == .bye }.count
        var steps = 0
        while harness.session.state == .closing, steps < 100 {
            try harness.fireNextTimeout()
            goodbyes += try harness.sent().filter { $0.kind == .bye }.count
            steps += 1
        }
        #expect(harness.session.state == .closed(SessionOutcome(everythingAcknowledged: true, reason: .completed)))
        #expect(goodbyes == 5)
    }
}
