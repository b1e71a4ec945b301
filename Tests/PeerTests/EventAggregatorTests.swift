import Peer
import PeerSession
import PeerSimulation
import Testing

/// The flood guard on a virtual clock: what is logged one by one, what is counted, and when the counts come out.
struct EventAggregatorTests {
    static let start = Instant(microseconds: 1_000_000)

    static func reject(_ reason: String) -> Event { .reject(reason: reason, bytes: 10) }

    /// Feeds `events` at `start + offset` each, flushing as a runtime would, then finishes at `end`.
    static func play(
        _ events: [(offset: TimeSpan, event: Event)], end: TimeSpan, loggedPerWindow: Int = 3
    ) -> [(at: Instant, event: Event)] {
        var aggregator = EventAggregator(loggedPerWindow: loggedPerWindow)
        var logged: [(at: Instant, event: Event)] = []
        for (offset, event) in events {
            let now = start + offset
            while let deadline = aggregator.nextDeadline, deadline <= now {
                logged += aggregator.flush(now: deadline).map { (deadline, $0) }
            }
            logged += aggregator.record(event, now: now).map { (now, $0) }
        }
        logged += aggregator.flush(now: start + end).map { (start + end, $0) }
        logged += aggregator.finish(now: start + end).map { (start + end, $0) }
        return logged
    }

    static func summaries(_ logged: [(at: Instant, event: Event)], of kind: String) -> [(count: Int, logged: Int)] {
        logged.compactMap { entry in
            if case .repeated(let event, let count, let shown, _, _) = entry.event, event == kind {
                (count, shown)
            } else {
                nil
            }
        }
    }

    @Test("a flood of 10,000 rejects in 5 s is 3 lines and one summary a second, and the summaries count them all")
    func floodIsSummarised() {
        let events = (0..<10_000).map { index in
            (TimeSpan(microseconds: Int64(index) * 500), Self.reject("datagram from 127.0.0.2:\(index), not ours"))
        }
        let logged = Self.play(events, end: .seconds(5))
        let rejects = logged.filter { if case .reject = $0.event { true } else { false } }
        let summaries = Self.summaries(logged, of: "reject")
        #expect(rejects.count == 3)
        #expect(summaries.count == 5)
        #expect(summaries.map(\.count).reduce(0, +) == 10_000)
        #expect(summaries.map(\.logged).reduce(0, +) == 3)
        // Numbers are masked, so every one of them counts under one reason.
        guard case .repeated(_, _, _, let window, let reasons)? = logged.last?.event else {
            Issue.record("no summary at the end")
            return
        }
        #expect(window == .seconds(1))
        #expect(reasons == "2000 datagram from N.N.N.N:N, not ours")
    }

    @Test("a flood of forged claims, each challenged, is a few lines and one summary a second")
    func challengesAreSummarised() {
        let events = (0..<500).map { index in
            (TimeSpan(microseconds: Int64(index) * 10_000),
             Event.challenge(name: "bob", session: SessionID(rawValue: UInt64(index) << 16), current: nil))
        }
        let logged = Self.play(events, end: .seconds(5))
        #expect(logged.filter { if case .challenge = $0.event { true } else { false } }.count == 3)
        #expect(Self.summaries(logged, of: "challenge").map(\.count).reduce(0, +) == 500)
    }

    @Test("forged identities and numbers count as one reason: hex session identities are numbers too")
    func identitiesMasked() {
        let first = EventAggregator.reasonClass(of: .reject(
            reason: "run 0197a1b2c3d40a1f claims to be bob but has not proven it", bytes: 60))
        let second = EventAggregator.reasonClass(of: .reject(
            reason: "run 0000000000020000 claims to be bob but has not proven it", bytes: 61))
        #expect(first == second)
        #expect(first == "run N claims to be bob but has not proven it")
        #expect(EventAggregator.reasonClass(of: .reject(reason: "segment 12 of 3a", bytes: 1)) == "segment N of Na")
    }

    @Test("a handful of rejects is logged as it is, with no summary")
    func fewPassThrough() {
        let events = [TimeSpan.zero, .milliseconds(10), .milliseconds(20), .seconds(2), .seconds(3)].map {
            ($0, Self.reject("empty datagram"))
        }
        let logged = Self.play(events, end: .seconds(10))
        #expect(logged.map(\.event) == events.map(\.1))
    }

    @Test("a kind quiet for a whole window starts afresh, logging its first few again")
    func quietKindStartsAfresh() {
        let burst = (0..<10).map { (TimeSpan.milliseconds(Int64($0)), Self.reject("empty datagram")) }
        let later = (0..<10).map { (TimeSpan.milliseconds(3_000 + Int64($0)), Self.reject("empty datagram")) }
        let logged = Self.play(burst + later, end: .seconds(10))
        let rejects = logged.filter { if case .reject = $0.event { true } else { false } }
        #expect(rejects.count == 6)
        #expect(Self.summaries(logged, of: "reject").map(\.count) == [10, 10])
    }

    @Test("kinds are counted apart, and other events always pass")
    func kindsApart() {
        var events: [(TimeSpan, Event)] = []
        for index in 0..<100 {
            events.append((.milliseconds(Int64(index)), .duplicate(sequence: 1, count: 1)))
            events.append((.milliseconds(Int64(index)), .ping(direction: .incoming, ack: 0)))
        }
        events.append((.milliseconds(200), Self.reject("empty datagram")))
        let logged = Self.play(events, end: .seconds(2))
        #expect(logged.filter { $0.event == .ping(direction: .incoming, ack: 0) }.count == 100)
        #expect(logged.filter { $0.event == .duplicate(sequence: 1, count: 1) }.count == 3)
        #expect(logged.contains { $0.event == Self.reject("empty datagram") })
        #expect(Self.summaries(logged, of: "duplicate").map(\.count) == [100])
        #expect(Self.summaries(logged, of: "reject").isEmpty)
    }

    /// `index` spelt in letters (0 → a, 1 → b …), which the numbers mask leaves alone.
    static func letters(_ index: Int) -> String {
        String(String(index).unicodeScalars.map { Character(UnicodeScalar(UInt8(97) + UInt8($0.value - 48))) })
    }

    @Test("a sender inventing a reason per datagram gets 8 reasons and `other`, not one each")
    func reasonsBounded() {
        let events = (0..<1_000).map { index in
            (TimeSpan.milliseconds(Int64(index % 900)), Self.reject("unknown datagram kind \(Self.letters(index))"))
        }
        let logged = Self.play(events, end: .seconds(1))
        guard case .repeated(_, let count, _, _, let reasons)? = logged.last?.event else {
            Issue.record("no summary")
            return
        }
        #expect(count == 1_000)
        #expect(reasons.split(separator: ";").count == EventAggregator.maximumReasons + 1)
        #expect(reasons.hasSuffix("992 other"))
    }

    @Test("the summary is due when the window ends, not before, and nothing is due when nothing was held back")
    func deadline() {
        var aggregator = EventAggregator(loggedPerWindow: 1)
        _ = aggregator.record(Self.reject("empty datagram"), now: Self.start)
        #expect(aggregator.nextDeadline == nil)
        _ = aggregator.record(Self.reject("empty datagram"), now: Self.start + .milliseconds(100))
        #expect(aggregator.nextDeadline == Self.start + .seconds(1))
        #expect(aggregator.flush(now: Self.start + .milliseconds(999)).isEmpty)
        #expect(aggregator.flush(now: Self.start + .seconds(1)) == [
            .repeated(event: "reject", count: 2, logged: 1, window: .seconds(1), reasons: "2 empty datagram")])
        #expect(aggregator.nextDeadline == nil)
    }

    @Test("for the screen, one logged at a time: never two lines of a kind within a second, however it arrives")
    func oneLinePerSecond() {
        // Bursts and pauses of rejects at irregular moments over 20 s.
        var generator = SeededGenerator(seed: 7)
        var offset = TimeSpan.zero
        var events: [(TimeSpan, Event)] = []
        while offset < .seconds(20) {
            offset = offset + TimeSpan(microseconds: Int64(generator.next() % 1_500_000))
            for _ in 0..<(generator.next() % 40) { events.append((offset, Self.reject("empty datagram"))) }
        }
        let logged = Self.play(events, end: .seconds(25), loggedPerWindow: 1)
        let times = logged.dropLast().map(\.at)  // the last is the run ending, whenever that is
        #expect(logged.count > 5)
        for (earlier, later) in zip(times, times.dropFirst()) {
            #expect(later - earlier >= .seconds(1))
        }
        let total = Self.summaries(logged, of: "reject").map { $0.count - $0.logged }.reduce(0, +)
            + logged.filter { if case .reject = $0.event { true } else { false } }.count
        #expect(total == events.count)
    }
}
