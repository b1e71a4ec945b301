import PeerSeed
import PeerSession
import Testing

/// One `SeedSession` driven by hand on a virtual clock, fed datagrams as the original writes them.
private struct Harness {
    var session: SeedSession
    var now = Instant(microseconds: 1_000_000)

    /// Without a hold (the default here) lines are shown as they arrive, so a test sees each step at once;
    /// `SeedOrderTests` covers the hold.
    init(maxReplays: Int = 3, linger: TimeSpan = .seconds(5), holdLimit: TimeSpan = .zero) {
        session = SeedSession(
            configuration: SeedConfiguration(name: "alice", linger: linger, maxReplaysPerMessage: maxReplays,
                                             holdLimit: holdLimit),
            now: now)
    }

    mutating func advance(milliseconds: Int64) { now = now + .milliseconds(milliseconds) }

    mutating func receive(_ text: String) { session.receive(Array(text.utf8), now: now) }

    mutating func submit(_ text: String) throws(SubmitError) { try session.submit(text, now: now) }

    /// Submits a line and returns what leaves at once.
    mutating func say(_ text: String) throws -> [Transmit] {
        try submit(text)
        return transmits()
    }

    mutating func transmits() -> [Transmit] {
        var all: [Transmit] = []
        while let transmit = session.pollTransmit(now: now) { all.append(transmit) }
        return all
    }

    mutating func deliveries() -> [String] {
        var all: [String] = []
        while let delivery = session.pollDelivery() { all.append(delivery.text) }
        return all
    }

    mutating func events() -> [Event] {
        var all: [Event] = []
        while let event = session.pollEvent() { all.append(event) }
        return all
    }

    /// Moves the clock to every deadline up to `now + milliseconds`, acting on each, and returns what left.
    mutating func run(milliseconds: Int64) -> [Transmit] {
        let end = now + .milliseconds(milliseconds)
        var sent = transmits()
        while let deadline = session.nextTimeout(), deadline <= end {
            now = max(now, deadline)
            session.handleTimeout(now: now)
            sent += transmits()
        }
        now = end
        return sent
    }
}

private func text(_ transmit: Transmit) -> String { String(decoding: transmit.bytes, as: UTF8.self) }

struct SeedSessionTests {
    @Test("first transmissions carry our count of the original's first transmissions; duplicates are not counted")
    func formatsAndCount() throws {
        var harness = Harness()
        let hello = try harness.say("hello")
        #expect(hello.map(text) == ["hello -0"])
        #expect(hello.first?.route == .sendSocket)
        #expect(hello.first?.kind == .data)
        #expect(hello.first?.sequence == 1)

        harness.receive("hi -1")
        harness.receive("how is it going -1")
        #expect(harness.deliveries() == ["hi", "how is it going"])
        #expect(try harness.say("how are you").map(text) == ["how are you -2"])

        harness.receive("hi -resend")  // a replay of what we show: not counted again
        #expect(harness.deliveries().isEmpty)
        #expect(try harness.say("fine").map(text) == ["fine -2"])
        #expect(harness.session.statistics.messagesSent == 3)
        #expect(harness.session.statistics.dataTransmissions == 3)
        #expect(harness.session.statistics.duplicates == 1)
    }

    @Test("deliveries name the original with peerName and number its messages")
    func deliveryFields() {
        var session = SeedSession(configuration: SeedConfiguration(name: "me", peerName: "classroom", holdLimit: .zero),
                                  now: .zero)
        session.receive(Array("a -0".utf8), now: .zero)
        session.receive(Array("b -0".utf8), now: .zero)
        #expect(session.pollDelivery() == Delivery(from: "classroom", text: "a", sequence: 1))
        #expect(session.pollDelivery() == Delivery(from: "classroom", text: "b", sequence: 2))
    }

    @Test("every '-' is replaced so the original survives, and the replacement is logged")
    func hyphenSubstitution() throws {
        var harness = Harness()
        let sent = try harness.say("well-known -3 -resend")
        #expect(sent.map(text) == ["well\u{2010}known \u{2010}3 \u{2010}resend -0"])
        let notes = harness.events().compactMap { event -> String? in
            if case .note(_, let reason) = event { reason } else { nil }
        }
        #expect(notes.count == 1)
        #expect(notes.first?.contains("replaced 3 '-'") == true)
        #expect(harness.session.statistics.rejected == 0)

        let original = OriginalClient()
        for transmit in sent { _ = original.receive(transmit.bytes) }
        #expect(!original.listenerDead)
        #expect(original.received == 1)
        // The same line unprotected kills the original's listener for good.
        let victim = OriginalClient()
        _ = victim.receive(Array("well-known -0".utf8))
        _ = victim.receive(Array("hello -0".utf8))
        #expect(victim.listenerDead)
        #expect(victim.received == 0)
    }

    @Test("a 3000-byte line leaves as several messages of at most 1024 bytes each, counted by the original")
    func longLineSplit() throws {
        var harness = Harness()
        // Raise our count to 5 digits, so the suffix is long too.
        for index in 0..<12_345 { harness.receive("m\(index) -0") }
        _ = harness.deliveries()
        let line = String(repeating: "ab€😀-", count: 300)  // 3000 bytes; 3600 once each "-" is a 3-byte "‐"
        let sent = try harness.say(line)
        #expect(sent.count == 4)
        #expect(sent.allSatisfy { $0.bytes.count <= 1024 })
        #expect(sent.map { $0.sequence } == [1, 2, 3, 4])
        let original = OriginalClient()
        for transmit in sent { _ = original.receive(transmit.bytes) }
        #expect(!original.listenerDead)
        #expect(original.received == 4)
        let texts = try sent.map { transmit -> String in try SeedDatagram.decode(transmit.bytes).text }
        #expect(texts.joined() == SeedText.protectingHyphens(line).text)
        #expect(harness.session.messagesQueued == 4)
        #expect(harness.session.statistics.messagesSent == 1)
    }

    @Test("malformed datagrams are rejected, counted and change nothing")
    func rejects() throws {
        var harness = Harness()
        for bad in ["-resend", "x -", "x -abc", "", "hello"] { harness.receive(bad) }
        harness.session.receive([0xC3, 0x28, 0x20, 0x2D, 0x31], now: harness.now)
        #expect(harness.deliveries().isEmpty)
        #expect(harness.session.statistics.rejected == 6)
        #expect(harness.session.statistics.datagramsReceived == 0)
        let reasons = harness.events().compactMap { event -> String? in
            if case .reject(let reason, _) = event { reason } else { nil }
        }
        #expect(reasons.count == 6)
        #expect(try harness.say("still zero").map(text) == ["still zero -0"])
    }

    @Test("a replay burst shows only what we missed, and a later burst nothing")
    func burstDuplicates() throws {
        var harness = Harness()
        _ = try harness.say("trigger")
        harness.receive("A -0")
        harness.receive("B -0")  // "C -0" was lost
        harness.advance(milliseconds: 300)
        for line in ["A", "B", "C"] { harness.receive(line + " -resend") }
        #expect(harness.deliveries() == ["A", "B", "C"])
        #expect(harness.session.statistics.duplicates == 2)
        #expect(harness.session.count == 3)

        _ = try harness.say("again")
        harness.advance(milliseconds: 300)
        for line in ["A", "C"] { harness.receive(line + " -resend") }  // B's replay lost this time
        #expect(harness.deliveries().isEmpty)
        #expect(harness.session.statistics.duplicates == 4)
    }

    @Test("bursts back to back, the second's first replay lost: nothing is shown twice")
    func burstsBackToBack() throws {
        var harness = Harness()
        harness.receive("A -0")
        harness.receive("B -0")
        harness.receive("C -0")
        _ = harness.deliveries()
        _ = try harness.say("one")  // two lines reach the original before our count does:
        _ = try harness.say("two")  // each makes it replay its whole log
        harness.advance(milliseconds: 10)
        for line in ["A", "B", "C", "B", "C"] { harness.receive(line + " -resend") }
        #expect(harness.deliveries().isEmpty)
        #expect(harness.session.statistics.duplicates == 5)
    }

    @Test("a line of the original's own ends a burst: the next replay starts a new one, even without a gap")
    func firstTransmissionEndsBurst() throws {
        var harness = Harness()
        harness.receive("A -0")
        harness.receive("B -0")
        harness.advance(milliseconds: 2000)  // no line of ours is waiting for an answer
        for line in ["A", "B"] { harness.receive(line + " -resend") }
        harness.receive("C -0")
        for line in ["A", "B", "C"] { harness.receive(line + " -resend") }
        #expect(harness.deliveries() == ["A", "B", "C"])
        #expect(harness.session.statistics.duplicates == 5)
    }

    @Test("random datagrams, lines and timeouts never trap, and every delivery is counted")
    func randomInputs() {
        var random = SplitMix64(seed: 7)
        var harness = Harness()
        let words = ["a", "b", "-", " -", "resend", "0", "1", "12", " ", "é", "\u{2010}", "😀"]
        var delivered = 0
        for _ in 0..<5_000 {
            harness.advance(milliseconds: Int64(random.next() % 300))
            switch random.next() % 4 {
            case 0:
                try? harness.submit((0..<Int(random.next() % 5)).map { _ in words[Int(random.next() % 12)] }.joined())
            case 1:
                let bytes = (0..<Int(random.next() % 12)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
                harness.session.receive(bytes, now: harness.now)
            default:
                harness.receive((0..<Int(random.next() % 6)).map { _ in words[Int(random.next() % 12)] }.joined())
            }
            _ = harness.run(milliseconds: 0)
            delivered += harness.deliveries().count
            _ = harness.events()
        }
        #expect(UInt64(delivered) == harness.session.count)
        #expect(harness.session.statistics.replays <= 3 * harness.session.messagesQueued)
    }

    @Test("a text is shown once: forged replays of it, back to back or not, and a repeat of it are duplicates")
    func textShownOnce() throws {
        var harness = Harness()
        _ = try harness.say("question?")  // a line of ours the original may answer with a burst
        harness.receive("ok -1")
        harness.receive("x -1")
        for round in 0..<20 {
            harness.advance(milliseconds: round % 2 == 0 ? 1 : 500)
            harness.receive("ok -resend")
            harness.receive("x -resend")
        }
        harness.receive("ok -1")  // the same text as a first transmission: a duplicate too
        #expect(harness.deliveries() == ["ok", "x"])
        #expect(harness.session.statistics.duplicates == 41)
        #expect(harness.session.count == 2)
    }

    @Test("texts shown are remembered up to textMemory: a replay of one forgotten is shown again, nothing more")
    func textMemoryIsBounded() {
        var session = SeedSession(
            configuration: SeedConfiguration(name: "alice", holdLimit: .zero, textMemory: 3), now: .zero)
        for line in ["a", "b", "c", "d"] { session.receive(Array("\(line) -0".utf8), now: .zero) }
        for line in ["b", "c", "d", "a"] { session.receive(Array("\(line) -resend".utf8), now: .zero) }
        var shown: [String] = []
        while let delivery = session.pollDelivery() { shown.append(delivery.text) }
        #expect(shown == ["a", "b", "c", "d", "a"])
    }

    @Test("a datagram longer than the original's 1024 bytes is refused; 1024 bytes are taken")
    func oversizeRefused() {
        var harness = Harness()
        harness.session.receive(Array((String(repeating: "y", count: 1021) + " -0").utf8), now: harness.now)
        harness.session.receive(Array((String(repeating: "z", count: 60_000) + " -0").utf8), now: harness.now)
        harness.session.receive(Array((String(repeating: "w", count: 1018) + " -resend").utf8), now: harness.now)
        #expect(harness.deliveries().map(\.count) == [1021])
        #expect(harness.session.statistics.rejected == 2)
        let reasons = harness.events().compactMap { event -> String? in
            if case .reject(let reason, _) = event { reason } else { nil }
        }
        #expect(reasons == ["60003 bytes: longer than the 1024 bytes an original client can send",
                            "1026 bytes: longer than the 1024 bytes an original client can send"])
    }

    @Test("a count that stays at 0 for ever replays each message at most maxReplaysPerMessage times, spaced")
    func replayLimit() throws {
        var harness = Harness()
        for index in 1...5 { _ = try harness.say("mine \(index)") }
        var replays: [UInt64: [Instant]] = [:]
        for index in 0..<40 {
            harness.advance(milliseconds: 150)
            harness.receive("theirs \(index) -0")
            for transmit in harness.run(milliseconds: 0) {
                #expect(transmit.kind == .resend)
                #expect(transmit.route == .freshSocket)
                replays[transmit.sequence ?? 0, default: []].append(harness.now)
            }
            _ = harness.run(milliseconds: 50).map { transmit in
                replays[transmit.sequence ?? 0, default: []].append(harness.now)
            }
        }
        #expect(replays.keys.sorted() == [1, 2, 3, 4, 5])
        for (_, times) in replays {
            #expect(times.count == 3)
            for (earlier, later) in zip(times, times.dropFirst()) { #expect(later - earlier >= .milliseconds(200)) }
        }
        #expect(harness.session.statistics.replays == 15)
    }

    @Test("a new deficit replays only the messages sent since the previous count")
    func replaysOnlyTheInterval() throws {
        var harness = Harness()
        _ = try harness.say("one")
        harness.advance(milliseconds: 500)
        harness.receive("a -1")  // it has "one"
        _ = try harness.say("two")
        _ = try harness.say("three")
        harness.advance(milliseconds: 500)
        harness.receive("b -2")  // one of "two" and "three" is missing
        let replays = harness.run(milliseconds: 0)
        #expect(replays.map(text) == ["two -resend", "three -resend"])
        let mismatches = harness.events().filter { if case .mismatch = $0 { true } else { false } }
        #expect(mismatches.count == 1)
        if case .mismatch(let count, let sent, let missing, let reason) = mismatches.first {
            #expect(count == 2)
            #expect(sent == 3)
            #expect(missing.map(\.description) == ["2-3"])
            #expect(reason == .count)
        }
    }

    @Test("a count arriving while our message may still be in flight is not taken as a loss")
    func inFlightIsNotLoss() throws {
        var harness = Harness()
        _ = try harness.say("one")
        harness.advance(milliseconds: 20)
        harness.receive("crossing -0")  // sent before "one" reached it
        #expect(harness.run(milliseconds: 1000).isEmpty)
        harness.receive("later -1")
        #expect(harness.run(milliseconds: 1000).isEmpty)
        #expect(harness.session.statistics.replays == 0)
    }

    @Test("a replay asked for within the spacing waits for it, and nextTimeout says when")
    func spacingDeadline() throws {
        var harness = Harness()
        _ = try harness.say("one")
        harness.advance(milliseconds: 150)
        harness.receive("a -0")
        let due = harness.session.nextTimeout()
        #expect(due == Instant(microseconds: 1_200_000))
        #expect(harness.transmits().isEmpty)
        let replays = harness.run(milliseconds: 100)
        #expect(replays.map(text) == ["one -resend"])
        #expect(harness.session.nextTimeout() == nil)
    }

    @Test("after input ends the session closes once the original is silent for the linger time")
    func lingerClose() throws {
        var harness = Harness(linger: .seconds(2))
        _ = try harness.say("bye now")
        harness.session.finishInput(now: harness.now)
        #expect(throws: SubmitError.inputFinished) { try harness.submit("too late") }
        #expect(!harness.session.acceptsInput)
        #expect(harness.session.nextTimeout() == harness.now + .seconds(2))
        harness.advance(milliseconds: 1500)
        harness.receive("see you -1")  // heard: the linger starts again
        #expect(harness.session.nextTimeout() == harness.now + .seconds(2))
        _ = harness.run(milliseconds: 1999)
        #expect(harness.session.state == .open)
        _ = harness.run(milliseconds: 1)
        #expect(harness.session.state == .closed(SessionOutcome(everythingAcknowledged: true, reason: .lingerExpired)))
        #expect(harness.session.nextTimeout() == nil)
        #expect(harness.events().contains(.close(outcome: SessionOutcome(everythingAcknowledged: true,
                                                                            reason: .lingerExpired))))
        harness.receive("late -1")
        #expect(harness.deliveries() == ["see you"])
    }

    @Test("a count below ours at the end means not everything was acknowledged")
    func lingerNotAcknowledged() throws {
        var harness = Harness(linger: .seconds(1))
        _ = try harness.say("one")
        _ = try harness.say("two")
        harness.advance(milliseconds: 500)
        harness.receive("got one -1")
        harness.session.finishInput(now: harness.now)
        _ = harness.run(milliseconds: 5000)
        #expect(harness.session.state == .closed(SessionOutcome(everythingAcknowledged: false,
                                                                reason: .lingerExpired)))
    }

    @Test("interrupt closes at once and nothing more leaves")
    func interrupt() throws {
        var harness = Harness()
        try harness.submit("never sent")
        harness.session.interrupt(now: harness.now)
        #expect(harness.session.state == .closed(SessionOutcome(everythingAcknowledged: false, reason: .interrupted)))
        #expect(harness.transmits().isEmpty)
        #expect(harness.session.nextTimeout() == nil)
        #expect(throws: SubmitError.inputFinished) { try harness.submit("after") }
    }

    @Test("only recorded categories of event are built")
    func recordedCategories() throws {
        var harness = Harness()
        harness.session.recordedCategories = [.status]
        _ = try harness.say("a-b")
        harness.receive("x -1")
        harness.receive("garbage")
        harness.session.finishInput(now: harness.now)
        #expect(harness.events() == [.finish(side: .local, segments: 1)])
    }

    @Test("the events of a send, a receive and a replay")
    func events() throws {
        var harness = Harness()
        _ = try harness.say("hello")
        harness.advance(milliseconds: 300)
        harness.receive("hi -0")
        _ = harness.run(milliseconds: 0)
        #expect(harness.events() == [
            .send(kind: .data, sequence: 1, segments: 1, fragment: nil, ack: 0, sack: [], bytes: 8),
            .receive(kind: .data, sequence: 1, segments: 1, transmission: nil, ack: 0, sack: [], bytes: 5),
            .deliver(sequence: 1, count: 1, bytes: 2),
            .mismatch(count: 0, sent: 1, missing: [.init(single: 1)], reason: .count),
            .resend(sequence: 1, transmission: 2, reason: .count, ack: 1, bytes: 13),
        ])
    }
}
