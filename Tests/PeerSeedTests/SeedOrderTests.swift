import PeerSeed
import PeerSession
import Testing

/// The original's lines shown in its order, once each, in bounded memory, and the lines it never confirmed.
struct SeedOrderTests {
    /// A session with the default hold (1 s), driven by hand on a virtual clock.
    struct Driver {
        var session: SeedSession
        var now = Instant(microseconds: 1_000_000)
        var shown: [String] = []
        var notes: [String] = []

        /// With `lossSeen`, the session has first seen a line of ours go missing (so it holds lines from then on):
        /// "lost" left and the original's "warm up -0" said it never arrived.
        init(_ configuration: SeedConfiguration = SeedConfiguration(name: "alice"), lossSeen: Bool = true) {
            session = SeedSession(configuration: configuration, now: now)
            guard lossSeen else { return }
            _ = try? say("lost")
            wait(milliseconds: 300)
            receive("warm up -0")
            wait(milliseconds: 1100)  // past the answer window of "lost" and of its replay
            shown = []
            notes = []
        }

        mutating func receive(_ lines: String...) {
            for line in lines { session.receive(Array(line.utf8), now: now) }
            drain()
        }

        /// Types a line of ours and returns what left.
        @discardableResult
        mutating func say(_ line: String) throws -> [String] {
            try session.submit(line, now: now)
            var sent: [String] = []
            while let transmit = session.pollTransmit(now: now) {
                sent.append(String(decoding: transmit.bytes, as: UTF8.self))
            }
            drain()
            return sent
        }

        /// Moves the clock on by `milliseconds`, acting on every deadline on the way.
        mutating func wait(milliseconds: Int64) {
            let end = now + .milliseconds(milliseconds)
            while let deadline = session.nextTimeout(), deadline <= end {
                now = max(now, deadline)
                session.handleTimeout(now: now)
                while session.pollTransmit(now: now) != nil {}
                drain()
            }
            now = end
        }

        mutating func drain() {
            while let delivery = session.pollDelivery() { shown.append(delivery.text) }
            while let event = session.pollEvent() {
                if case .note(_, let reason) = event { notes.append(reason) }
            }
        }
    }

    @Test("a line missed and recovered from a burst is shown in its place, not after the lines that followed it")
    func recoveredLineInPlace() throws {
        var driver = Driver()
        driver.receive("one -0", "three -0", "four -0")  // "two -0" was lost
        #expect(driver.shown.isEmpty, "held until their place is settled")
        #expect(try driver.say("hello").last == "hello -4", "held lines are counted")
        driver.wait(milliseconds: 2)
        driver.receive("one -resend", "two -resend", "three -resend", "four -resend")
        driver.wait(milliseconds: 2000)
        #expect(driver.shown == ["one", "two", "three", "four"])
        #expect(driver.session.count == 5)
        #expect(driver.notes.isEmpty)
    }

    @Test("a burst that lost replays still places what it carries: it goes after held lines it did not replay")
    func partialBurstPlaces() throws {
        var driver = Driver()
        driver.receive("a -0", "b -0", "c -0", "e -0")  // "d -0" lost
        try driver.say("x")
        driver.wait(milliseconds: 2)
        driver.receive("a -resend", "d -resend", "e -resend")  // b's and c's replays lost
        try driver.say("y")
        driver.wait(milliseconds: 2)
        driver.receive("a -resend", "b -resend", "c -resend", "f -resend")  // d, e lost; f: a line we never had
        driver.wait(milliseconds: 2000)
        #expect(driver.shown == ["a", "b", "c", "d", "e", "f"])
    }

    @Test("first transmissions that arrive out of order are put in the original's order by its burst")
    func reorderedFirstTransmissions() throws {
        var driver = Driver()
        driver.receive("second -0", "first -0")
        try driver.say("ok?")
        driver.wait(milliseconds: 2)
        driver.receive("first -resend", "second -resend")
        driver.wait(milliseconds: 2000)
        #expect(driver.shown == ["first", "second"])
    }

    @Test("until something goes missing, lines are shown as they arrive")
    func noHoldWithoutLoss() {
        var driver = Driver(lossSeen: false)
        driver.receive("one -0", "two -0")
        #expect(driver.shown == ["one", "two"])
    }

    @Test("held lines are shown by holdLimit at the latest, or once two of our lines pass without a burst")
    func holdEnds() throws {
        var driver = Driver()
        driver.receive("alone -0")
        driver.wait(milliseconds: 1999)
        #expect(driver.shown.isEmpty)
        driver.wait(milliseconds: 1)
        #expect(driver.shown == ["alone"])

        driver.receive("answer me -0")
        try driver.say("one")
        driver.wait(milliseconds: 150)  // one quiet answer: the line may have been lost, so not yet
        #expect(driver.shown == ["alone"])
        try driver.say("two")
        driver.wait(milliseconds: 150)  // a second: the original had no more lines than we hold
        #expect(driver.shown == ["alone", "answer me"])
    }

    @Test("a line a burst places before one already shown is shown at once and logged as late")
    func lateLine() throws {
        var driver = Driver()
        driver.receive("one -0", "three -0")  // "two -0" lost
        driver.wait(milliseconds: 2000)
        #expect(driver.shown == ["one", "three"])
        try driver.say("hello")
        driver.wait(milliseconds: 2)
        driver.receive("one -resend", "two -resend", "three -resend")
        #expect(driver.shown == ["one", "three", "two"])
        #expect(driver.notes.contains { $0.hasPrefix("shown late") })
    }

    @Test("a flood of distinct lines and replays leaves held lines and remembered texts within their bounds")
    func floodBounded() {
        var driver = Driver(SeedConfiguration(name: "alice", maxHeld: 16, textMemory: 100))
        let before = driver.session.count
        for index in 0..<5_000 {
            driver.receive(index % 2 == 0 ? "flood \(index) -\(index)" : "flood \(index) -resend")
            #expect(driver.session.heldCount <= 16)
            if index % 1000 == 0 { driver.wait(milliseconds: 300) }
        }
        #expect(driver.session.count == before + 5_000)
        // The memory of what was shown is bounded: the first lines are forgotten, the last remembered.
        driver.wait(milliseconds: 2000)
        driver.receive("flood 4999 -resend", "flood 1 -resend")
        driver.wait(milliseconds: 2000)
        #expect(driver.shown.suffix(1) == ["flood 1"])
        #expect(driver.shown.count == 5_001)
    }

    @Test("the lines the original never confirmed are named by number and a quoted prefix (the output makes it harmless)")
    func unconfirmedNamed() throws {
        var driver = Driver(SeedConfiguration(name: "alice", linger: .seconds(1)), lossSeen: false)
        try driver.say("first line")
        driver.wait(milliseconds: 300)
        driver.receive("hi -1")  // it has our line 1
        driver.wait(milliseconds: 300)
        try driver.say("second \u{1B}[31m red and a \"quote\" that goes on")
        try driver.say("third")
        driver.wait(milliseconds: 300)
        driver.receive("so -2")  // one of our lines 2 and 3 is missing
        #expect(driver.session.unconfirmed == "1 of 3: 1 of #2 \"second \u{1B}[31m red and…\" #3 \"third\"")
        try driver.say("fourth")  // sent after its last count: unconfirmed too
        driver.session.finishInput(now: driver.now)
        driver.wait(milliseconds: 5000)
        #expect(driver.session.unconfirmed
                == "2 of 4: 1 of #2 \"second \u{1B}[31m red and…\" #3 \"third\"; #4 \"fourth\"")
        #expect(driver.notes.last == "not confirmed by the original: " + (driver.session.unconfirmed ?? ""))
    }

    @Test("nothing is unconfirmed when the original's count covers every line")
    func allConfirmed() throws {
        var driver = Driver(lossSeen: false)
        try driver.say("one")
        driver.wait(milliseconds: 300)
        driver.receive("yes -1")
        #expect(driver.session.unconfirmed == nil)
    }
}
