import PeerChannel
import PeerCrypto
@testable import PeerGroup
import PeerSession
import PeerWire
import Testing

/// A red team's findings against groups, each as the attack (or the mistake) that shows it.
struct GroupRedTeamTests {
    // MARK: Time

    /// `nextTimeout` names the instant a stranger, an introduction or a silent member is due to go, but
    /// `handleTimeout` only acted strictly after it: called at that very instant (as every virtual-clock driver
    /// does) it changed nothing, and the same deadline came back for ever — a busy loop in `GroupNetwork`, the fuzz
    /// target and any simulation, and a spin until the clock ticks in the runtime.
    @Test("every deadline a core names is acted on at that instant: the next one is later")
    func deadlinesMoveOn() {
        let mallory = PeerAddress(host: "10.0.0.2", port: 4000)
        var core = GroupCoreUnitTests.core(name: "alice", peers: [mallory])
        core.act(on: .member(key: [UInt8](repeating: 7, count: 32), address: PeerAddress(host: "10.9.9.9", port: 1),
                             name: "ghost"), from: 0, now: .zero)
        var now = Instant.zero
        var repeatsAtOneInstant = 0
        var worst = 0
        for _ in 0..<20_000 {
            guard let deadline = core.nextTimeout(), deadline <= .zero + .seconds(700) else { break }
            repeatsAtOneInstant = deadline <= now ? repeatsAtOneInstant + 1 : 0
            worst = max(worst, repeatsAtOneInstant)
            if repeatsAtOneInstant > 10 { break }
            now = max(now, deadline)
            core.handleTimeout(now: now)
            while core.pollTransmit(now: now) != nil {}
            while core.pollEvent() != nil {}
        }
        #expect(worst <= 1, "the deadline at \(now) came back \(worst) times without anything changing")
        #expect(now >= .zero + .seconds(600), "stopped at \(now)")
        #expect(core.roster(now: now).isEmpty, "the introduction (60 s) and the silent peer (600 s) are gone")
    }
}
