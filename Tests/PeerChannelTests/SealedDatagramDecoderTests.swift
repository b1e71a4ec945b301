import PeerChannel
import PeerCrypto
import PeerSession
import PeerSimulation
import PeerWire
import Testing

/// `peer decode`'s core: a key log's keys open a captured conversation in both directions, and what they open
/// reads exactly as the sender's session said it sent; hostile bytes never trap and never open.
struct SealedDatagramDecoderTests {
    /// One captured conversation: every datagram each side sent (before the link could lose it), in order, and the
    /// key-log entries each side exported.
    struct Capture {
        var datagrams: [(side: Simulation.Side, bytes: [UInt8])] = []
        var harness: ChannelHarness
        var fromA: [String]
        var fromB: [String]
    }

    static func capture(seed: UInt64, loss: Double) -> Capture {
        let harness = ChannelHarness(exportsKeys: true)
        let simulation = harness.simulation(seed: seed, conditions: LinkConditions(delay: .milliseconds(3), loss: loss))
        var captured: [(side: Simulation.Side, bytes: [UInt8])] = []
        simulation.tap = { side, bytes in
            captured.append((side, bytes))
            return [bytes]
        }
        let fromA = ChannelHarness.messages("alice's", 30)
        let fromB = ChannelHarness.messages("bob's", 20)
        let report = ChannelHarness.converse(simulation, fromA: fromA, fromB: fromB)
        #expect(report[.b].shown == fromA && report[.a].shown == fromB, "seed \(seed)")
        return Capture(datagrams: captured, harness: harness, fromA: fromA, fromB: fromB)
    }

    /// The entries as a key-log file holds them: written as lines and read back.
    static func throughTheFile(_ entries: [KeyLogEntry]) -> [KeyLogEntry] {
        let contents = KeyLog.parse(entries.map { KeyLog.line(for: $0) }.joined(separator: "\n") + "\n")
        #expect(contents.problems.isEmpty)
        return contents.entries
    }

    /// What a `send` event says of a datagram, and the same read back from a decoded one.
    struct Sent: Equatable {
        var kind: DatagramKind
        var sequence: UInt64?
        var segments: Int
        var fragment: Fragment?
        var ack: UInt64
        var sack: [SequenceRange]
    }

    static func sends(_ events: [Event]) -> [Sent] {
        events.compactMap {
            guard case .send(let kind, let sequence, let segments, let fragment, let ack, let sack, _) = $0 else {
                return nil
            }
            return Sent(kind: kind, sequence: sequence, segments: segments, fragment: fragment, ack: ack, sack: sack)
        }
    }

    static func sent(_ datagram: Datagram) -> Sent? {
        guard [.data, .ack, .bye].contains(datagram.kind) else { return nil }
        return Sent(kind: datagram.kind, sequence: datagram.sequence, segments: datagram.segmentCount,
                    fragment: datagram.fragment, ack: datagram.ack, sack: datagram.sack)
    }

    /// The messages the first transmissions (DATA) of `datagrams` carry, in order.
    static func messages(_ datagrams: [Datagram]) -> [String] {
        datagrams.filter { $0.kind == .data && !$0.fin }.flatMap { datagram -> [String] in
            guard datagram.lengths.count > 1 else { return [String(decoding: datagram.body, as: UTF8.self)] }
            var start = 0
            return datagram.lengths.map { length in
                defer { start += length }
                return String(decoding: datagram.body[start..<(start + length)], as: UTF8.self)
            }
        }
    }

    @Test("either side's key log opens the whole conversation, both directions, as each session said it sent it",
          arguments: [UInt64(1), 2, 3, 4, 5])
    func eitherSidesKeyLog(seed: UInt64) throws {
        let capture = Self.capture(seed: seed, loss: 0)
        let logs = [Simulation.Side.a, .b].map { Self.throughTheFile(capture.harness.keyLog($0)) }
        #expect(!logs[0].isEmpty && !logs[1].isEmpty)
        for (side, log) in zip([Simulation.Side.a, .b], logs) {
            var decoder = SealedDatagramDecoder(entries: log)
            let decoded = capture.datagrams.map { (side: $0.side, result: decoder.decode($0.bytes)) }
            for (index, item) in decoded.enumerated() {
                #expect(item.result.problem == nil, "seed \(seed), \(side)'s log, datagram \(index): \(item.result)")
                // `to` is the receiver's run exactly when the first byte says the datagram is for it.
                guard case .transport(let toAnotherRun) = item.result.kind, let datagram = item.result.datagram else {
                    continue
                }
                let receiverRuns = decoded.filter { $0.side != item.side }.compactMap(\.result.datagram?.session)
                #expect(toAnotherRun ? datagram.to == nil : datagram.to == receiverRuns.first, "datagram \(index)")
            }
            for sender in [Simulation.Side.a, .b] {
                let theirs = decoded.filter { $0.side == sender }.compactMap(\.result.datagram)
                let name = sender == .a ? "alice" : "bob"
                #expect(!theirs.isEmpty && theirs.allSatisfy { $0.from == name })
                #expect(Set(theirs.map(\.session)).count == 1, "one run per side")
                #expect(theirs.compactMap(Self.sent) == Self.sends(capture.harness.events(sender)),
                        "seed \(seed), \(side)'s log, \(name)'s datagrams")
                #expect(Self.messages(theirs) == (sender == .a ? capture.fromA : capture.fromB))
            }
        }
    }

    @Test("under loss, both logs together open every datagram; one side's lacks only handshakes it never completed",
          arguments: [UInt64(1), 2, 3, 4, 5, 6])
    func underLoss(seed: UInt64) throws {
        let capture = Self.capture(seed: seed, loss: 0.3)
        let a = Self.throughTheFile(capture.harness.keyLog(.a))
        let b = Self.throughTheFile(capture.harness.keyLog(.b))
        var both = SealedDatagramDecoder(entries: a + b)
        var fromA: [Datagram] = []
        for (side, bytes) in capture.datagrams {
            let decoded = both.decode(bytes)
            #expect(decoded.problem == nil, "seed \(seed): \(decoded)")
            #expect(!decoded.isRepeat, "seed \(seed): a packet number used twice")
            if side == .a, let datagram = decoded.datagram { fromA.append(datagram) }
        }
        #expect(fromA.compactMap(Self.sent) == Self.sends(capture.harness.events(.a)), "seed \(seed)")
        for log in [a, b] {
            var single = SealedDatagramDecoder(entries: log)
            for (_, bytes) in capture.datagrams {
                let problem = single.decode(bytes).problem
                if case .noKey = problem { continue }
                #expect(problem == nil, "seed \(seed): \(String(describing: problem))")
            }
        }
    }

    @Test("each side's entries mirror the other's; keys are exported only when asked")
    func mirroredEntries() {
        let capture = Self.capture(seed: 9, loss: 0)
        let a = capture.harness.keyLog(.a)
        let b = capture.harness.keyLog(.b)
        #expect(a.count == b.count && !a.isEmpty)
        for entry in a {
            #expect(entry.localName == "alice" && entry.remoteName == "bob")
            let mirror = b.first { $0.localIndex == entry.remoteIndex && $0.remoteIndex == entry.localIndex }
            #expect(mirror?.sendingKey.bytes == entry.receivingKey.bytes)
            #expect(mirror?.receivingKey.bytes == entry.sendingKey.bytes)
            #expect(mirror?.localRun == entry.remoteRun && mirror?.remoteRun == entry.localRun)
            #expect(entry.sendingKey.bytes != entry.receivingKey.bytes)
        }
        let quiet = ChannelHarness()
        _ = ChannelHarness.converse(quiet.simulation(seed: 9, conditions: LinkConditions(delay: .milliseconds(3))),
                                    fromA: ["hello"], fromB: [])
        #expect(quiet.keyLog(.a).isEmpty && quiet.keyLog(.b).isEmpty)
    }

    @Test("handshake messages are named with their indexes; a datagram without a key says which index it lacks")
    func handshakesAndMissingKeys() throws {
        let capture = Self.capture(seed: 4, loss: 0)
        var withKeys = SealedDatagramDecoder(entries: capture.harness.keyLog(.a))
        var withoutKeys = SealedDatagramDecoder(entries: [])
        var kinds: Set<String> = []
        for (_, bytes) in capture.datagrams {
            let decoded = withKeys.decode(bytes)
            let blind = withoutKeys.decode(bytes)
            switch decoded.kind {
            case .initiation:
                kinds.insert("initiation")
                #expect(decoded.senderIndex != nil && decoded.receiverIndex == nil)
            case .response, .finish:
                kinds.insert("\(decoded.kind)")
                // Only the receiver's index is in the clear; the sender's travels sealed in the payload.
                #expect(decoded.senderIndex == nil && decoded.receiverIndex != nil)
                #expect(decoded.sender != nil, "a completed handshake's messages are named")
            case .transport:
                kinds.insert("transport")
                let index = try #require(decoded.receiverIndex)
                #expect(blind.problem == .noKey(index: index))
                #expect(blind.datagram == nil && blind.packetNumber == decoded.packetNumber)
            default:
                Issue.record("unexpected \(decoded.kind)")
            }
        }
        #expect(kinds == ["initiation", "response", "finish", "transport"])
    }

    @Test("truncated, bit-flipped and random datagrams never trap and never open")
    func hostileBytes() {
        let capture = Self.capture(seed: 2, loss: 0)
        let entries = capture.harness.keyLog(.a) + capture.harness.keyLog(.b)
        let transports = capture.datagrams.map(\.bytes).filter { $0.first == 4 || $0.first == 5 }
        var decoder = SealedDatagramDecoder(entries: entries)
        var failedAuthentication = 0
        for original in transports.prefix(20) {
            for length in 0..<original.count {
                let decoded = decoder.decode(Array(original.prefix(length)))
                #expect(decoded.datagram == nil, "prefix \(length)")
                if length >= 1, length < SealedFraming.transportOverhead {
                    #expect(decoded.problem == .badLength(expected: "25 to 1200 bytes"), "prefix \(length)")
                }
            }
            for position in original.indices {
                for bit in 0..<8 {
                    var flipped = original
                    flipped[position] ^= UInt8(1) << UInt8(bit)
                    let decoded = decoder.decode(flipped)
                    #expect(decoded.datagram == nil && !decoded.isKeepalive, "byte \(position) bit \(bit)")
                    if decoded.problem == .authenticationFailed(keysTried: 1) { failedAuthentication += 1 }
                }
            }
        }
        #expect(failedAuthentication > 0)
        // Random bytes, often with a real index so that they reach the keys.
        let known = entries.map(\.localIndex)
        var generator = SeededGenerator(seed: 77)
        for round in 0..<20_000 {
            var bytes = (0..<Int.random(in: 0...1_300, using: &generator)).map { _ in
                UInt8.random(in: 0...255, using: &generator)
            }
            if !bytes.isEmpty, round % 2 == 0 { bytes[0] = [1, 2, 3, 4, 5, 6, 0x50][round / 2 % 7] }
            if bytes.count >= 5, round % 4 == 0, let index = known.randomElement(using: &generator) {
                for shift in 0..<4 { bytes[1 + shift] = UInt8(truncatingIfNeeded: index >> UInt32(24 - 8 * shift)) }
            }
            let decoded = decoder.decode(bytes)
            #expect(decoded.datagram == nil && !decoded.isKeepalive)
            if bytes.first == 4, bytes.count >= 25, bytes.count <= Wire.maxDatagramBytes, round % 4 == 0 {
                #expect(decoded.problem == .authenticationFailed(keysTried: 1))
            }
        }
    }

    @Test("a datagram seen again is marked as a repeat, as the receiver would refuse it")
    func repeats() throws {
        let capture = Self.capture(seed: 5, loss: 0)
        var decoder = SealedDatagramDecoder(entries: capture.harness.keyLog(.a))
        let transport = try #require(capture.datagrams.first { $0.bytes.first == 4 }?.bytes)
        #expect(!decoder.decode(transport).isRepeat)
        let again = decoder.decode(transport)
        #expect(again.isRepeat && again.problem == nil)
    }
}

/// The key log's text: one line per handshake, read back exactly; a damaged line is reported, never trusted.
struct KeyLogFormatTests {
    static let entry = KeyLogEntry(
        localIndex: 0x0102_0304, remoteIndex: 0xA0B0_C0D0, localRun: SessionID(rawValue: 0x01A2_2D85_0546_2AD9),
        remoteRun: SessionID(rawValue: 0xFF), localName: "alice", remoteName: "bøb",
        sendingKey: Secret((0..<32).map { UInt8($0) }), receivingKey: Secret((0..<32).map { UInt8(255 - $0) }))

    @Test("a line holds the nine documented words and reads back as the same entry")
    func roundTrip() throws {
        let line = KeyLog.line(for: Self.entry)
        #expect(line == "PEER2 01020304 a0b0c0d0 01a22d8505462ad9 00000000000000ff alice bøb "
                + "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f "
                + "fffefdfcfbfaf9f8f7f6f5f4f3f2f1f0efeeedecebeae9e8e7e6e5e4e3e2e1e0")
        let contents = KeyLog.parse("# a comment\n\n\(line)\r\n")
        #expect(contents.problems.isEmpty)
        let read = try #require(contents.entries.first)
        #expect(contents.entries.count == 1)
        #expect(read.localIndex == Self.entry.localIndex && read.remoteIndex == Self.entry.remoteIndex)
        #expect(read.localRun == Self.entry.localRun && read.remoteRun == Self.entry.remoteRun)
        #expect(read.localName == "alice" && read.remoteName == "bøb")
        #expect(read.sendingKey.bytes == Self.entry.sendingKey.bytes)
        #expect(read.receivingKey.bytes == Self.entry.receivingKey.bytes)
    }

    @Test("damaged lines are reported with their numbers and skipped", arguments: [
        "PEER2 01020304",
        "PEER3 01020304 a0b0c0d0 01a22d8505462ad9 00000000000000ff alice bob KEY KEY",
        "PEER2 +1020304 a0b0c0d0 01a22d8505462ad9 00000000000000ff alice bob KEY KEY",
        "PEER2 01020304 a0b0c0d0 1a22d8505462ad9 00000000000000ff alice bob KEY KEY",
        "PEER2 01020304 a0b0c0d0 01a22d8505462ad9 00000000000000ff al=ice bob KEY KEY",
        "PEER2 01020304 a0b0c0d0 01a22d8505462ad9 00000000000000ff alice bob KEY KEY extra",
        "PEER2 01020304 a0b0c0d0 01a22d8505462ad9 00000000000000ff alice bob KEY " + String(repeating: "g", count: 64),
        "PEER2 01020304 a0b0c0d0 01a22d8505462ad9 00000000000000ff alice bob KEY " + String(repeating: "a", count: 63),
        "\u{1B}[2J",
    ])
    func damaged(line: String) {
        let key = String(repeating: "ab", count: 32)
        let text = "# comment\n" + line.split(separator: "KEY", omittingEmptySubsequences: false)
            .joined(separator: key) + "\n"
            + KeyLog.line(for: Self.entry) + "\n"
        let contents = KeyLog.parse(text)
        #expect(contents.problems.map(\.lineNumber) == [2])
        #expect(contents.entries.count == 1)
    }
}
