import PeerSession

/// Target `channel`: the sealed-datagram path of two live `SecureChannel`s (see `ChannelRun` for the network the
/// input drives and what it checks).
///
/// The first input byte picks where the run starts: bit 0 set, from two channels that have not met (the
/// handshake itself is then under attack; bit 2 set, only alice initiates, as with a peer that only listens);
/// clear, from a conversation already established (a handshake completed both ways and a line shown each way;
/// what was sent to get there may be replayed or edited). Bit 1 adds a pre-shared key (XXpsk0 instead of XX).
/// Each run then has both sides type lines — two at once (packed together), one long enough to be cut in
/// fragments, one alone — and end their input; the rest of the input is read at each delivery by `ChannelRun`.
///
/// The starting points are built once per process and copied for each input (a channel is a value), so a run
/// spends its time on the attack, not on handshakes it does not attack.
enum ChannelTarget {
    static let starts: [ChannelRun] = (0..<8).map { flavor in
        let preSharedKey = flavor & 2 != 0
        if flavor & 1 != 0 { return .fresh(preSharedKey: preSharedKey, bobInitiates: flavor & 4 == 0) }
        var run = ChannelRun.fresh(preSharedKey: preSharedKey, bobInitiates: true)
        run.type("hello bob", on: 0, after: .milliseconds(2))
        run.type("hello alice", on: 1, after: .milliseconds(3))
        let settled = run.run { run in
            run.shown == run.expected && run.inFlight.allSatisfy(\.isEmpty) && run.typing.isEmpty
        }
        if !settled { violated("the channel target's set-up did not settle: \(run.shown)") }
        // The conversation goes on from here: what it showed is the past, what it sent an attacker may replay.
        run.expected = [[], []]
        run.shown = [[], []]
        run.mayPin = [false, false]
        return run
    }

    static let longLine = String(repeating: "a long line that travels in fragments. ", count: 70)

    static func run(_ data: UnsafeRawBufferPointer) {
        var input = FuzzInput(Array(data))
        var run = starts[Int(input.byte() % 8)]
        run.input = input
        run.type("alice 1", on: 0, after: .milliseconds(5))
        run.type("alice 2, typed with 1", on: 0, after: .milliseconds(5))
        run.type(longLine, on: 0, after: .milliseconds(15))
        run.type("alice 4", on: 0, after: .milliseconds(25))
        run.type("bob 1", on: 1, after: .milliseconds(7))
        run.type("bob 2", on: 1, after: .milliseconds(17))
        run.endInput(after: .milliseconds(40))
        run.finish()
    }
}
