import PeerSeed
import PeerSession

/// A `SeedSession` ("us") and the `OriginalClient` model talking over a seeded lossy link, on a virtual clock.
///
/// Each direction delays every datagram by the same `delay` (so nothing is reordered) and drops each one,
/// whatever its kind, with probability `loss`. Our session is driven as the runtime drives it: an input, then
/// its outputs drained, then a timer for `nextTimeout()`.
final class SeedNetwork {
    /// What a run produced.
    struct Report {
        /// What we typed, as the original can receive it (`-` replaced), and what it typed.
        var ourLines: [String] = []
        var theirLines: [String] = []
        /// What our session showed, in order.
        var weShowed: [String] = []
        /// The texts of what the original printed (replays included), in order.
        var theyPrinted: [String] = []
        /// How long after the original typed each line we showed it, in the order shown (ms).
        var showDelays: [Double] = []
        var statistics = SessionStatistics()
        var state = SessionState.open
        var originalDied = false

        /// The share of the original's lines we showed, at least once.
        var theirLinesShown: Double { Self.share(of: theirLines, in: weShowed) }
        /// The share of our lines the original printed, at least once.
        var ourLinesShown: Double { Self.share(of: ourLines, in: theyPrinted) }
        /// Whether we showed any line more than once.
        var weShowedATwice: Bool { Set(weShowed).count != weShowed.count }
        /// Lines we showed out of the original's order: how many would have to be taken out for the rest to be in
        /// its order (the shown lines minus their longest run in order, not necessarily contiguous).
        var linesOutOfOrder: Int {
            let place = Dictionary(theirLines.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
            var tails: [Int] = []  // tails[k]: the smallest last place of an in-order run of k + 1 lines
            let places = weShowed.compactMap { place[$0] }
            for index in places {
                var low = 0, high = tails.count
                while low < high {
                    let middle = (low + high) / 2
                    if tails[middle] < index { low = middle + 1 } else { high = middle }
                }
                if low == tails.count { tails.append(index) } else { tails[low] = index }
            }
            return places.count - tails.count
        }
        /// Datagrams we sent per line typed.
        var datagramsPerLine: Double { Double(statistics.datagramsSent) / Double(max(1, ourLines.count)) }

        private static func share(of lines: [String], in shown: [String]) -> Double {
            let seen = Set(shown)
            return Double(lines.filter { seen.contains($0) }.count) / Double(max(1, lines.count))
        }
    }

    private enum Action {
        case toUs([UInt8]), toOriginal([UInt8]), weType(String), theyType(String), weFinish, timer
    }

    private var queue = TimedQueue<Action>()
    private var random: SplitMix64
    private var now = Instant.zero
    private var session: SeedSession
    private let original = OriginalClient()
    private let loss: Double
    private let delay: TimeSpan
    private var timerAt: Instant?
    private var report = Report()
    private var typedAt: [String: Instant] = [:]

    /// Sets up a run: `ours` and `theirs` are typed at the given times; we end input a second after our last line.
    init(seed: UInt64, loss: Double, delay: TimeSpan = .milliseconds(5),
         ours: [(Instant, String)], theirs: [(Instant, String)]) {
        random = SplitMix64(seed: seed)
        self.loss = loss
        self.delay = delay
        session = SeedSession(configuration: SeedConfiguration(name: "us", linger: .seconds(3)), now: .zero)
        for (time, line) in ours { queue.push(.weType(line), at: time) }
        for (time, line) in theirs { queue.push(.theyType(line), at: time) }
        let lastTyped = (ours + theirs).map(\.0).max() ?? .zero
        queue.push(.weFinish, at: lastTyped + .seconds(1))
        report.ourLines = ours.map { SeedText.protectingHyphens($0.1).text }
        report.theirLines = theirs.map(\.1)
    }

    /// A conversation of `count` distinct lines each way, in a random order of speakers, typed at human-like
    /// intervals (100–600 ms); one line in eight follows the one before within 2 ms, as if pasted, so the
    /// original sometimes replays its log twice back to back. Our lines contain `-`, some of theirs too.
    static func scripts(seed: UInt64, count: Int) -> (ours: [(Instant, String)], theirs: [(Instant, String)]) {
        var random = SplitMix64(seed: seed ^ 0x5EED)
        var speakers = Array(repeating: true, count: count) + Array(repeating: false, count: count)
        speakers.shuffle(using: &random)
        var ours: [(Instant, String)] = []
        var theirs: [(Instant, String)] = []
        var time = Instant.zero + .milliseconds(50)
        for ourTurn in speakers {
            time = time + (random.next() % 8 == 0 ? .milliseconds(2) : .milliseconds(100 + Int64(random.next() % 500)))
            if ourTurn {
                ours.append((time, "us \(ours.count): well-known line -\(ours.count)"))
            } else {
                theirs.append((time, theirs.count % 5 == 0 ? "them-\(theirs.count) -\(theirs.count)"
                                                            : "them \(theirs.count) says hi"))
            }
        }
        return (ours, theirs)
    }

    /// Runs until our session closes (or an hour of virtual time, which would be a bug).
    func run() -> Report {
        while let (time, action) = queue.pop(), time < .zero + .seconds(3600) {
            now = time
            switch action {
            case .toUs(let bytes):
                session.receive(bytes, now: now)
            case .toOriginal(let bytes):
                for replay in original.receive(bytes) { send(replay, toUs: true) }
                continue
            case .weType(let line):
                try? session.submit(line, now: now)
            case .theyType(let line):
                typedAt[line] = now
                send(original.type(line), toUs: true)
                continue
            case .weFinish:
                session.finishInput(now: now)
            case .timer:
                timerAt = nil
                if let deadline = session.nextTimeout(), deadline <= now { session.handleTimeout(now: now) }
            }
            drain()
            if case .closed = session.state { break }
        }
        report.theyPrinted = original.printed.map { (try? SeedDatagram.decode(Array($0.utf8)).text) ?? $0 }
        report.statistics = session.statistics
        report.state = session.state
        report.originalDied = original.listenerDead
        return report
    }

    private func drain() {
        while let transmit = session.pollTransmit(now: now) { send(transmit.bytes, toUs: false) }
        while let delivery = session.pollDelivery() {
            report.weShowed.append(delivery.text)
            if let typed = typedAt[delivery.text] { report.showDelays.append(Double((now - typed).microseconds) / 1000) }
        }
        while session.pollEvent() != nil {}
        if let deadline = session.nextTimeout(), deadline != timerAt {
            timerAt = deadline
            queue.push(.timer, at: max(deadline, now))
        }
    }

    private func send(_ bytes: [UInt8], toUs: Bool) {
        guard !random.chance(loss) else { return }
        queue.push(toUs ? .toUs(bytes) : .toOriginal(bytes), at: now + delay)
    }
}
