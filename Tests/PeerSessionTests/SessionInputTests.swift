import PeerSession
import PeerSimulation
import PeerWire
import Testing

/// One `Session` ("alice") driven by hand on a virtual clock, fed datagrams crafted to come from its peer "bob".
struct Harness {
    static let alice = SessionID(rawValue: 0xA_0000)
    static let bob = SessionID(rawValue: 0x10000)

    var session: Session
    var now = Instant(microseconds: 1_000_000)

    /// A fresh session; unless `keepStartPing`, its opening PING is sent and the start-up events drained. Unless
    /// `strangers`, bob then answers that PING, so he is the proven other side before the test begins.
    init(keepStartPing: Bool = false, strangers: Bool = false) {
        session = Session(configuration: SessionConfiguration(name: "alice", sessionID: Self.alice), now: now)
        if !keepStartPing {
            let ping = transmits().compactMap { try? Wire.decode($0.bytes) }.first { $0.kind == .ping }
            if !strangers, let token = ping?.timestamp {
                receive(Self.fromBob(.pong, echo: token))
                _ = transmits()
            }
            _ = events()
        }
    }

    // MARK: Datagrams from the peer

    static func fromBob(
        _ kind: DatagramKind, sequence: UInt64? = nil, ack: UInt64 = 0, sack: [SequenceRange] = [], base: UInt64 = 1,
        fin: Bool = false, fragment: Fragment? = nil, transmission: Int? = nil, timestamp: UInt64? = nil,
        echo: UInt64? = nil, body: [UInt8] = [], session: SessionID = bob, to: SessionID? = alice
    ) -> [UInt8] {
        Wire.encode(Datagram(
            kind: kind, from: "bob", session: session, to: to, ack: ack, sack: sack, base: base, fin: fin, sequence: sequence,
            fragment: fragment, transmission: transmission, timestamp: timestamp, echo: echo, body: body))
    }

    /// A one-piece DATA message from bob.
    static func data(_ sequence: UInt64, _ text: String, ack: UInt64 = 0, session: SessionID = bob) -> [UInt8] {
        fromBob(.data, sequence: sequence, ack: ack, body: Array(text.utf8), session: session)
    }

    /// One piece of a split DATA message from bob.
    static func piece(_ sequence: UInt64, _ index: Int, of count: Int, _ body: [UInt8]) -> [UInt8] {
        fromBob(.data, sequence: sequence, fragment: Fragment(index: index, count: count), body: body)
    }

    // MARK: Inputs

    mutating func receive(_ bytes: [UInt8]) { session.receive(bytes, now: now) }

    mutating func submit(_ text: String) throws(SubmitError) { try session.submit(text, now: now) }

    /// Moves the clock to the session's next deadline and lets it act.
    mutating func fireNextTimeout(sourceLocation: SourceLocation = #_sourceLocation) throws {
        let deadline = try #require(session.nextTimeout(), sourceLocation: sourceLocation)
        now = max(now, deadline)
        session.handleTimeout(now: now)
    }

    // MARK: Outputs, drained

    mutating func transmits() -> [Transmit] {
        var all: [Transmit] = []
        while let transmit = session.pollTransmit(now: now) { all.append(transmit) }
        return all
    }

    /// The deliveries, drained, each as `from#sequence: text`.
    mutating func shown() -> [String] {
        deliveries().map { "\($0.from)#\($0.sequence): \($0.text)" }
    }

    mutating func deliveries() -> [Delivery] {
        var all: [Delivery] = []
        while let delivery = session.pollDelivery() { all.append(delivery) }
        return all
    }

    mutating func events() -> [Event] {
        var all: [Event] = []
        while let event = session.pollEvent() { all.append(event) }
        return all
    }

    /// The transmitted datagrams, decoded.
    mutating func sent() throws -> [Datagram] {
        try transmits().map { try Wire.decode($0.bytes) }
    }

    // MARK: Checks

    /// Feeds `bytes` and checks it is refused: exactly one `reject` event whose reason contains `reason`, the
    /// counter up by one, nothing delivered, nothing owed to the peer, nothing counted as received.
    mutating func expectRejected(
        _ bytes: [UInt8], reason: String, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        _ = events()
        let before = session.statistics
        receive(bytes)
        let events = events()
        #expect(events.count == 1, "\(events)", sourceLocation: sourceLocation)
        guard case .reject(let actual, let size)? = events.first else {
            Issue.record("expected a reject event, got \(events)", sourceLocation: sourceLocation)
            return
        }
        #expect(actual.contains(reason), "reason: \(actual)", sourceLocation: sourceLocation)
        #expect(size == bytes.count, sourceLocation: sourceLocation)
        #expect(session.statistics.rejected == before.rejected + 1, sourceLocation: sourceLocation)
        #expect(session.statistics.datagramsReceived == before.datagramsReceived, sourceLocation: sourceLocation)
        #expect(session.statistics.acknowledged == before.acknowledged, sourceLocation: sourceLocation)
        #expect(deliveries().isEmpty, sourceLocation: sourceLocation)
        #expect(transmits().isEmpty, sourceLocation: sourceLocation)
    }

    /// Bob's DATA `sequence` is delivered exactly once and acknowledged, even when it arrives twice.
    mutating func expectConversationWorks(
        sequence: UInt64 = 1, text: String = "still talking", sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let bytes = Self.data(sequence, text)
        receive(bytes)
        #expect(shown() == ["bob#\(sequence): \(text)"], sourceLocation: sourceLocation)
        let replies = try sent()
        #expect(replies.last?.ack == sequence, sourceLocation: sourceLocation)
        receive(bytes)
        #expect(deliveries().isEmpty, sourceLocation: sourceLocation)
        #expect(try sent().map(\.kind) == [.ack], sourceLocation: sourceLocation)
        #expect(events().contains(.duplicate(sequence: sequence, count: sequence)), sourceLocation: sourceLocation)
    }
}

func abandonReasons(_ events: [Event]) -> [String] {
    events.compactMap { event in
        if case .abandon(_, let reason, _) = event { reason } else { nil }
    }
}

func rejectReasons(_ events: [Event]) -> [String] {
    events.compactMap { event in
        if case .reject(let reason, _) = event { reason } else { nil }
    }
}

/// `Session` fed crafted datagrams by hand: malformed, forged, stale, duplicated, reordered or split input is
/// refused or absorbed as the protocol promises, with a `reject` event where something is refused, and the
/// conversation carries on unharmed afterwards. Also covers `submit` limits, the opening PING, PONG echoes,
/// datagram sizes at extreme counts, and that the state machine is deterministic.
struct SessionInputTests {
    /// A datagram that cannot be decoded, and the phrase its reject reason must contain.
    struct Undecodable: Sendable, CustomTestStringConvertible {
        var label: String
        var bytes: [UInt8]
        var reason: String
        var testDescription: String { label }
    }

    static let validHeader = "PEER/1 DATA from=bob sid=0000000000010000 seq=1 ack=0 base=1"

    static let undecodable: [Undecodable] = {
        var random = SeededGenerator(seed: 7)
        var noise = (0..<200).map { _ in UInt8.random(in: 0...255, using: &random) }
        noise[0] = 0x00
        return [
            Undecodable(label: "empty datagram", bytes: [], reason: "empty datagram"),
            Undecodable(label: "one byte", bytes: [0x50], reason: "not a peer datagram"),
            Undecodable(label: "random bytes", bytes: noise, reason: "not a peer datagram"),
            Undecodable(label: "truncated header", bytes: Array(validHeader.utf8.prefix(30)),
                        reason: "header line has no end"),
            Undecodable(label: "header cut short before its fields",
                        bytes: Array("PEER/1 DATA from=bob\nhello".utf8), reason: "missing field sid"),
            Undecodable(label: "invalid UTF-8 one-piece DATA",
                        bytes: Array(validHeader.utf8) + [0x0A, 0x68, 0x69, 0xFF], reason: "not valid UTF-8"),
            Undecodable(label: "oversize datagram",
                        bytes: Array(validHeader.utf8) + [0x0A] + Array(repeating: 0x61, count: 1200),
                        reason: "larger than any peer sends"),
            Undecodable(label: "another protocol version",
                        bytes: Array("PEER/2 DATA from=bob sid=0000000000010000 seq=1 ack=0 base=1\nhi".utf8),
                        reason: "unsupported protocol version PEER/2"),
        ]
    }()

    @Test("undecodable datagrams are rejected and change nothing", arguments: undecodable)
    func undecodableRejected(input: Undecodable) throws {
        var harness = Harness(strangers: true)
        harness.expectRejected(input.bytes, reason: input.reason)
        #expect(harness.session.otherName == nil)
        harness.session.believe(Harness.bob, now: harness.now)
        try harness.expectConversationWorks()
    }

    @Test("undecodable datagrams in the middle of a conversation are rejected", arguments: undecodable)
    func undecodableMidConversation(input: Undecodable) throws {
        var harness = Harness()
        try harness.expectConversationWorks(sequence: 1, text: "first")
        harness.expectRejected(input.bytes, reason: input.reason)
        try harness.expectConversationWorks(sequence: 2, text: "second")
    }

    // MARK: Forged acknowledgements

    /// Alice types and sends three messages, one at a time; returns the harness with nothing left to drain.
    private static func aliceSentThree() throws -> Harness {
        var harness = Harness()
        var sent: [Datagram] = []
        for text in ["one", "two", "three"] {
            try harness.submit(text)
            sent += try harness.sent()
        }
        #expect(sent.map(\.kind) == [.data, .data, .data])
        #expect(sent.map(\.sequence) == [1, 2, 3])
        _ = harness.events()
        return harness
    }

    @Test("an acknowledgement above what was sent is rejected, and the messages are still replayed")
    func forgedAcknowledgement() throws {
        var harness = try Self.aliceSentThree()
        harness.expectRejected(Harness.fromBob(.ack, ack: 10), reason: "acknowledges 10 segments but only 3 were sent")
        #expect(harness.session.unacknowledgedSegments == 3)

        // Nothing was acknowledged: the retransmission timer replays the oldest; once bob counts it, the rest
        // (sent before that replay) are judged lost and replayed, packed together.
        var replayed: [UInt64] = []
        for _ in 0..<10 where harness.session.unacknowledgedSegments > 0 {
            try harness.fireNextTimeout()
            let transmits = harness.transmits()
            for transmit in transmits where transmit.kind == .resend {
                let datagram = try Wire.decode(transmit.bytes)
                #expect(datagram.kind == .resend)
                #expect(datagram.transmission == 2)
                #expect(transmit.route == .freshSocket)
                let first = try #require(datagram.sequence)
                let sequences = Array(first..<(first + UInt64(max(1, datagram.lengths.count))))
                replayed += sequences
                harness.receive(Harness.fromBob(.ack, ack: sequences.last ?? first))
            }
        }
        #expect(replayed == [1, 2, 3])
        #expect(harness.session.unacknowledgedSegments == 0)
        #expect(harness.session.statistics.rejected == 1)
        try harness.expectConversationWorks()
    }

    @Test("a sack reporting segments above what was sent is rejected", arguments: [
        [SequenceRange(single: 5)], [SequenceRange(lower: 2, upper: 4)!],
        [SequenceRange(single: 2), SequenceRange(single: 9)],
    ])
    func forgedSack(sack: [SequenceRange]) throws {
        var harness = try Self.aliceSentThree()
        let highest = sack.map(\.upper).max()!
        harness.expectRejected(Harness.fromBob(.ack, sack: sack), reason: "reports holding segment \(highest)")
        #expect(harness.session.unacknowledgedSegments == 3)
        // The first timeout still replays segment 1: nothing was taken as delivered.
        try harness.fireNextTimeout()
        let replays = try harness.sent().filter { $0.kind == .resend }
        #expect(replays.map(\.sequence) == [1])
        try harness.expectConversationWorks()
    }

    @Test("an acknowledgement before anything was sent is rejected")
    func acknowledgementOfNothing() throws {
        var harness = Harness()
        harness.expectRejected(Harness.fromBob(.ack, ack: 1), reason: "acknowledges 1 segments but only 0 were sent")
        try harness.expectConversationWorks()
    }

    // MARK: Receive window

    /// How far beyond the next expected segment: the window's size and more, up to the largest number on the wire.
    static let offsetsBeyondWindow: [UInt64] = [
        Tunables().receiveWindow, Tunables().receiveWindow + 1, 1 << 40, (1 << 53) - 1,
    ]

    @Test("a segment at or beyond the receive window is rejected", arguments: offsetsBeyondWindow)
    func beyondWindow(offset: UInt64) throws {
        var harness = Harness()
        let sequence = 1 + offset
        harness.expectRejected(
            Harness.data(sequence, "far"), reason: "segment \(sequence) is beyond the receive window")
        try harness.expectConversationWorks()
    }

    @Test("the window is counted from the next expected segment")
    func windowMovesWithDelivery() throws {
        var harness = Harness()
        try harness.expectConversationWorks(sequence: 1, text: "one")
        let limit = 2 + Tunables().receiveWindow
        harness.expectRejected(Harness.data(limit, "far"), reason: "beyond the receive window (expecting 2)")
        harness.receive(Harness.data(limit - 1, "last in window"))
        #expect(harness.deliveries().isEmpty)
        #expect(harness.events().contains(.hold(sequence: limit - 1, expected: 2, held: 1)))
        try harness.expectConversationWorks(sequence: 2, text: "two")
    }

    // MARK: Duplicates and reordering

    @Test("the same DATA 1000 times is delivered once and acknowledged every time")
    func thousandDuplicates() throws {
        var harness = Harness()
        let bytes = Harness.data(1, "once")
        var delivered: [String] = []
        var duplicateEvents = 0
        for round in 0..<1000 {
            harness.receive(bytes)
            delivered += harness.shown()
            for event in harness.events() {
                if case .duplicate(sequence: 1, count: 1) = event { duplicateEvents += 1 }
            }
            let replies = try harness.sent()
            #expect(replies.map(\.kind) == [.ack], "round \(round)")
            #expect(replies.first?.ack == 1, "round \(round)")
        }
        #expect(delivered == ["bob#1: once"])
        #expect(duplicateEvents == 999)
        #expect(harness.session.statistics.duplicates == 999)
        #expect(harness.session.statistics.messagesDelivered == 1)
        #expect(harness.session.statistics.rejected == 0)
    }

    @Test("seq 2 before seq 1 is held, then both are delivered in order")
    func outOfOrder() throws {
        var harness = Harness()
        harness.receive(Harness.data(2, "second"))
        #expect(harness.deliveries().isEmpty)
        #expect(harness.events().contains(.hold(sequence: 2, expected: 1, held: 1)))
        let holding = try harness.sent()
        #expect(holding.map(\.kind) == [.ack])
        #expect(holding.first?.ack == 0)
        #expect(holding.first?.sack == [SequenceRange(single: 2)])

        harness.receive(Harness.data(1, "first"))
        #expect(harness.shown() == [
            "bob#1: first", "bob#2: second",
        ])
        let caughtUp = try harness.sent()
        #expect(caughtUp.first?.ack == 2)
        #expect(caughtUp.first?.sack == [])
        harness.receive(Harness.data(2, "second"))
        #expect(harness.deliveries().isEmpty)
        #expect(harness.session.statistics.duplicates == 1)
    }

    // MARK: Runs of the peer

    @Test("a datagram from an older identity (an earlier run, or a clock stepped back) is challenged, not believed")
    func earlierRun() throws {
        var harness = Harness()
        try harness.expectConversationWorks(sequence: 1, text: "hello")
        let earlier = SessionID(rawValue: Harness.bob.rawValue - 1)
        harness.receive(Harness.data(2, "stale", session: earlier))
        #expect(harness.shown().isEmpty)
        #expect(harness.events().contains { if case .unproven(.data, 2, earlier, _) = $0 { true } else { false } })
        #expect(try harness.sent().map(\.to) == [earlier])  // one challenge
        try harness.expectConversationWorks(sequence: 2, text: "current")
    }

    @Test("a later run of the peer is followed, and every unacknowledged message is replayed to it")
    func laterRun() throws {
        var harness = try Self.aliceSentThree()
        // The old run delivered message 1 before it died.
        harness.receive(Harness.data(1, "before the restart", ack: 1))
        #expect(harness.deliveries().count == 1)
        _ = harness.transmits()
        _ = harness.events()

        // A later run says hello. It is not believed until it answers a PING sent to it at bob's address: until
        // then nothing changes, except that its PING, which names alice, is answered (with a count of 0).
        let later = SessionID(rawValue: Harness.bob.rawValue + 0x10000)
        harness.receive(Harness.fromBob(.ping, timestamp: 42, session: later))
        #expect(harness.events().contains(.challenge(name: "bob", session: later, current: Harness.bob)))
        let replies = try harness.sent()
        #expect(Set(replies.map(\.kind)) == [.pong, .ping] && replies.count == 2)
        #expect(replies.allSatisfy { $0.to == later && $0.ack == 0 })
        #expect(replies.first { $0.kind == .pong }?.echo == 42)
        let challenge = try #require(replies.first { $0.kind == .ping }?.timestamp)
        #expect(harness.session.unacknowledgedSegments == 2)

        harness.receive(Harness.fromBob(.pong, echo: challenge, session: later))
        let events = harness.events()
        #expect(events.contains(.peerUp(name: "bob", session: later, reason: .restarted(previous: Harness.bob))))
        let missing = [SequenceRange(single: 2), SequenceRange(single: 3)]
        #expect(events.contains(.mismatch(count: 1, sent: 3, missing: missing, reason: .restart)))
        let transmits = harness.transmits()
        let resends = transmits.filter { $0.kind == .resend }
        let replayed = try resends.flatMap { transmit -> [UInt64] in
            let datagram = try Wire.decode(transmit.bytes)
            let first = datagram.sequence ?? 0
            return Array(first..<(first + UInt64(max(1, datagram.lengths.count))))
        }
        #expect(replayed == [2, 3])
        #expect(resends.allSatisfy { $0.route == .freshSocket })
        for transmit in resends {
            let datagram = try Wire.decode(transmit.bytes)
            #expect(datagram.kind == .resend)
            #expect(datagram.ack == 0)  // the new run's segments start again from 1
            #expect(datagram.base == 2)
        }
        #expect(harness.session.statistics.unproven == 1)  // the PING, before its run was proven

        // The new run's messages count from 1 again; the old run is now stale.
        harness.receive(Harness.data(1, "after the restart", session: later))
        #expect(harness.shown() == ["bob#1: after the restart"])
        #expect(try harness.sent().map(\.ack) == [1])
        harness.expectRejected(Harness.data(2, "from the dead", session: Harness.bob), reason: "earlier run")
    }

    // MARK: Split messages

    @Test("a split message that never completes is abandoned when a new message arrives")
    func incompleteFragment() throws {
        var harness = Harness()
        harness.receive(Harness.piece(1, 1, of: 3, Array("part".utf8)))
        #expect(harness.deliveries().isEmpty)
        #expect(abandonReasons(harness.events()).isEmpty)

        harness.receive(Harness.data(2, "fresh"))
        #expect(harness.shown() == ["bob#2: fresh"])
        let reasons = abandonReasons(harness.events())
        #expect(reasons.count == 1)
        #expect(reasons.first?.contains("message cut short before segment 2: 1 of 3 pieces") == true)
        #expect(harness.session.statistics.abandoned == 1)
        try harness.expectConversationWorks(sequence: 3)
    }

    @Test("a split message that is abandoned for another split message")
    func fragmentRestartedByFirstPiece() throws {
        var harness = Harness()
        harness.receive(Harness.piece(1, 1, of: 3, Array("lost ".utf8)))
        harness.receive(Harness.piece(2, 2, of: 3, Array("middle ".utf8)))
        harness.receive(Harness.piece(3, 1, of: 2, Array("new ".utf8)))
        harness.receive(Harness.piece(4, 2, of: 2, Array("message".utf8)))
        #expect(harness.shown() == ["bob#4: new message"])
        let reasons = abandonReasons(harness.events())
        #expect(reasons.count == 1)
        #expect(reasons.first?.contains("message cut short before segment 3: 2 of 3 pieces") == true)
    }

    @Test("a fragment out of place abandons its message", arguments: [(2, 3), (3, 3), (2, 2)])
    func fragmentOutOfPlace(index: Int, count: Int) throws {
        var harness = Harness()
        harness.receive(Harness.piece(1, index, of: count, Array("orphan".utf8)))
        #expect(harness.deliveries().isEmpty)
        let reasons = abandonReasons(harness.events())
        #expect(reasons == ["fragment \(index)/\(count) of segment 1 does not continue the message being reassembled"])
        #expect(harness.session.statistics.abandoned == 1)
        try harness.expectConversationWorks(sequence: 2)
    }

    @Test("a fragment claiming a different piece count abandons its message")
    func fragmentCountChanges() throws {
        var harness = Harness()
        harness.receive(Harness.piece(1, 1, of: 3, Array("a".utf8)))
        harness.receive(Harness.piece(2, 2, of: 4, Array("b".utf8)))
        #expect(harness.deliveries().isEmpty)
        #expect(abandonReasons(harness.events()).first?.contains("fragment 2/4 of segment 2 does not continue") == true)
        try harness.expectConversationWorks(sequence: 3)
    }

    @Test("invalid UTF-8 made by joining fragments abandons the message", arguments: [
        [[0x61, 0x62], [0xFF]] as [[UInt8]], [[0xE2, 0x82], [0x41]], [[0x61], [0xED, 0xA0], [0x80]],
    ])
    func invalidUTF8AcrossFragments(pieces: [[UInt8]]) throws {
        var harness = Harness()
        for (index, body) in pieces.enumerated() {
            harness.receive(Harness.piece(UInt64(index + 1), index + 1, of: pieces.count, body))
        }
        #expect(harness.deliveries().isEmpty)
        let last = pieces.count
        #expect(abandonReasons(harness.events()) == ["message ending at segment \(last) is not valid UTF-8"])
        #expect(harness.session.statistics.abandoned == 1)
        try harness.expectConversationWorks(sequence: UInt64(last + 1))
        try harness.expectConversationWorks(sequence: UInt64(last + 2), text: "and again")
    }

    @Test("a character split between fragments is joined")
    func characterSplitAcrossFragments() throws {
        var harness = Harness()
        let euro = Array("€".utf8)
        harness.receive(Harness.piece(1, 1, of: 2, Array("price: ".utf8) + euro.prefix(1)))
        harness.receive(Harness.piece(2, 2, of: 2, Array(euro.dropFirst()) + Array("5".utf8)))
        #expect(harness.shown() == ["bob#2: price: €5"])
        #expect(harness.session.statistics.rejected == 0)
    }

    // MARK: Submitting

    @Test("a message above maxMessageBytes is refused")
    func submitTooLong() throws {
        var harness = Harness()
        let tooLong = String(repeating: "a", count: Session.maxMessageBytes + 1)
        #expect(throws: SubmitError.tooLong(bytes: Session.maxMessageBytes + 1)) { try harness.submit(tooLong) }
        let wide = String(repeating: "é", count: Session.maxMessageBytes / 2 + 1)
        #expect(throws: SubmitError.tooLong(bytes: Session.maxMessageBytes + 2)) { try harness.submit(wide) }
        #expect(harness.session.statistics.messagesSent == 0)
        #expect(harness.transmits().isEmpty)

        try harness.submit(String(repeating: "a", count: Session.maxMessageBytes))
        #expect(harness.session.statistics.messagesSent == 1)
        #expect(harness.session.statistics.segmentsSent == UInt64(Session.maxMessageBytes / Wire.maxSegmentBody))
    }

    @Test("submit after finishInput is refused")
    func submitAfterFinish() throws {
        var harness = Harness()
        try harness.submit("before")
        harness.session.finishInput(now: harness.now)
        #expect(throws: SubmitError.inputFinished) { try harness.submit("after") }
        #expect(harness.session.statistics.messagesSent == 1)
        let sent = try harness.sent()
        #expect(sent.map(\.kind) == [.data, .data])
        #expect(sent.last?.fin == true)
        #expect(sent.last?.body == [])
    }

    // MARK: Control datagrams

    @Test("the first output of a new session is a PING")
    func firstOutputIsPing() throws {
        var harness = Harness(keepStartPing: true)
        let transmits = harness.transmits()
        #expect(transmits.count == 1)
        let transmit = try #require(transmits.first)
        #expect(transmit.kind == .ping)
        #expect(transmit.route == .sendSocket)
        let datagram = try Wire.decode(transmit.bytes)
        #expect(datagram == Datagram(
            kind: .ping, from: "alice", session: Harness.alice, ack: 0, base: 1, timestamp: datagram.timestamp))
        // Its timestamp is not the clock: a secret offset makes it unguessable, so an answer proves receipt.
        #expect(datagram.timestamp != UInt64(harness.now.microseconds))
    }

    @Test("a PING from the peer is answered with a PONG echoing its timestamp",
          arguments: [UInt64(0), 123_456, 1 << 53])
    func pingAnswered(timestamp: UInt64) throws {
        var harness = Harness()
        harness.receive(Harness.fromBob(.ping, timestamp: timestamp))
        let sent = try harness.sent()
        #expect(sent == [
            Datagram(kind: .pong, from: "alice", session: Harness.alice, to: Harness.bob, ack: 0, base: 1,
                     echo: timestamp),
        ])
        #expect(harness.events().contains(.ping(direction: .incoming, ack: 0)))
    }

    // MARK: Sizes

    @Test("with huge counts and many held runs, every datagram still fits")
    func datagramsFitAtHugeCounts() throws {
        let name = String(repeating: "n", count: Wire.maxNameBytes)
        let identity = SessionID(rawValue: .max)
        var session = Session(configuration: SessionConfiguration(name: name, sessionID: identity), now: .zero)
        let base: UInt64 = (1 << 53) - 4096
        var now = Instant.zero
        var datagrams: [Datagram] = []
        // Bob answers the opening PING: proven, he gets full-size acknowledgements.
        let ping = try #require(session.pollTransmit(now: now).map { try Wire.decode($0.bytes) })
        session.receive(Harness.fromBob(.pong, base: base, echo: ping.timestamp, to: identity), now: now)
        func drain() throws {
            while let transmit = session.pollTransmit(now: now) {
                #expect(transmit.bytes.count <= Wire.maxDatagramBytes)
                datagrams.append(try Wire.decode(transmit.bytes))
            }
        }
        // Bob resumes near 2^53 and leaves 100 holes: alice holds 100 runs of two 16-digit numbers, and
        // acknowledges each arrival.
        for run in UInt64(0)..<100 {
            for sequence in [base + 1 + 3 * run, base + 2 + 3 * run] {
                session.receive(
                    Harness.fromBob(.data, sequence: sequence, base: base, body: Array("x".utf8), to: identity),
                    now: now)
                try drain()
            }
        }
        try session.submit(String(repeating: "m", count: 3 * Wire.maxSegmentBody), now: now)
        try drain()
        for _ in 0..<2 {
            now = try #require(session.nextTimeout())
            session.handleTimeout(now: now)
            try drain()
        }
        #expect(datagrams.contains { $0.kind == .ack && $0.sack.count > Wire.segmentSackRanges })
        #expect(datagrams.contains { $0.kind == .resend && $0.body.count == Wire.maxSegmentBody })
        for datagram in datagrams where datagram.kind.carriesSegment {
            #expect(datagram.ack == base - 1)
            #expect(datagram.sack.count <= Wire.segmentSackRanges)
            #expect(datagram.sack.first == SequenceRange(lower: base + 1, upper: base + 2))
        }
    }

    // MARK: Determinism

    /// Everything a session produced, in a comparable form.
    struct Trace: Equatable {
        var transmits: [[UInt8]] = []
        var routes: [Bool] = []
        var deliveries: [Delivery] = []
        var events: [Event] = []
        var statistics = SessionStatistics()
    }

    /// A scripted conversation with good and bad input, timeouts included.
    static func scriptedTrace() throws -> Trace {
        var harness = Harness(keepStartPing: true)
        var trace = Trace()
        func drain() {
            for transmit in harness.transmits() {
                trace.transmits.append(transmit.bytes)
                trace.routes.append(transmit.route == .freshSocket)
            }
            trace.deliveries += harness.deliveries()
            trace.events += harness.events()
        }
        drain()
        let startPing = try trace.transmits.first.map { try Wire.decode($0) }?.timestamp ?? 0
        try harness.submit("hello")
        try harness.submit(String(repeating: "long ", count: 500))
        drain()
        harness.now = harness.now + .milliseconds(3)
        harness.receive(Harness.fromBob(.pong, echo: startPing))
        harness.receive(Harness.data(2, "two", ack: 1))
        harness.receive(Harness.fromBob(.ping, ack: 1, sack: [SequenceRange(single: 3)], timestamp: 77))
        harness.receive(Harness.fromBob(.ack, ack: 9))
        drain()
        try harness.fireNextTimeout()
        drain()
        harness.now = harness.now + .milliseconds(1)
        harness.receive(Harness.data(1, "one", ack: 4))
        harness.receive(Harness.data(1, "one", ack: 4))
        harness.session.finishInput(now: harness.now)
        drain()
        harness.receive(Harness.fromBob(.data, sequence: 3, ack: 5, base: 1, fin: true))
        drain()
        for _ in 0..<5 {
            guard harness.session.nextTimeout() != nil else { break }
            try harness.fireNextTimeout()
            drain()
        }
        trace.statistics = harness.session.statistics
        return trace
    }

    @Test("two sessions fed the same inputs produce identical outputs")
    func deterministic() throws {
        let first = try Self.scriptedTrace()
        let second = try Self.scriptedTrace()
        #expect(first == second)
        #expect(first.transmits.count > 5)
        #expect(first.deliveries.map(\.text) == ["one", "two"])
        #expect(!rejectReasons(first.events).isEmpty)
    }
}
