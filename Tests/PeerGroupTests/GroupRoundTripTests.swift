@testable import PeerGroup
import PeerSession
import PeerSimulation
import Testing

/// A session's round trip measures the path, not the wait for keys: a stranger's session is made when its
/// initiation arrives and pings at once, but its PING waits for the handshake's last message, which a loss delays
/// by a retry (200 ms and more). Timing the PONG from when the PING was made put that wait into the round trip,
/// and so into every retransmission timeout after it (a member's bulk repairs waited up to a second).
struct GroupRoundTripTests {
    @Test("after joining at 30% loss, every session's round trip is the path's (2 ms), not the handshake's retries")
    func roundTripExcludesTheWaitForKeys() {
        var worst: TimeSpan = .zero
        for seed in UInt64(1)...12 {
            let conditions = LinkConditions(delay: .milliseconds(1), loss: 0.3, duplicate: 0, reorder: 0).impairments
            let network = GroupSimulation(seed: seed, conditions: conditions, categories: [], keepsLogs: false)
            network.addMember("alice")
            for name in ["bob", "carol", "dave", "erin", "frank"] { network.addMember(name, peers: ["alice"]) }
            #expect(network.run(until: .seconds(60)) { $0.isFullMesh })
            for member in network.core("alice")?.members ?? [] {
                if let roundTrip = member.channel.statistics.smoothedRoundTrip { worst = max(worst, roundTrip) }
            }
        }
        #expect(worst < .milliseconds(20), "worst smoothed round trip \(worst) on a 2 ms path")
    }
}
