import PeerCrypto
import PeerSession
import PeerWire
import Testing

/// What a sink was handed, in order.
private enum Output: Equatable {
    case keys(UInt32)
    case log(Event)
    case show(String)
    case commit
    case send(UInt64?)
}

/// Records everything `CoreDriver` hands over.
private struct RecordingSink: CoreSink {
    var trace: [Output] = []

    mutating func log(_ event: Event) { trace.append(.log(event)) }
    mutating func show(_ delivery: Delivery) { trace.append(.show(delivery.text)) }
    mutating func commitDeliveries() { trace.append(.commit) }
    mutating func send(_ transmit: Transmit) { trace.append(.send(transmit.sequence)) }
    mutating func exportKeys(_ entry: KeyLogEntry) { trace.append(.keys(entry.localIndex)) }
}

/// A core whose every datagram installs keys (as a secure channel's handshake message does), delivers two messages
/// and owes two datagrams; building each datagram records an event, as `Session` records its `send`.
private struct ScriptedCore: MessengerCore {
    var keyLog: [KeyLogEntry] = []
    var events: [Event] = []
    var deliveries: [Delivery] = []
    var transmits: [Transmit] = []
    var state: SessionState = .open
    var statistics = SessionStatistics()
    var acceptsInput: Bool { true }
    var recordedCategories = Set(EventCategory.allCases)

    mutating func submit(_ text: String, now: Instant) throws(SubmitError) {}
    mutating func receive(_ bytes: UnsafeRawBufferPointer, now: Instant) {
        keyLog.append(KeyLogEntry(
            localIndex: 7, remoteIndex: 8, localRun: SessionID(rawValue: 1), remoteRun: SessionID(rawValue: 2),
            localName: "alice", remoteName: "bob", sendingKey: Secret([UInt8](repeating: 1, count: 32)),
            receivingKey: Secret([UInt8](repeating: 2, count: 32))))
        events.append(.note(sequence: nil, reason: "received"))
        deliveries += [Delivery(from: "bob", text: "one", sequence: 1), Delivery(from: "bob", text: "two", sequence: 2)]
        transmits += [1, 2].map { Transmit(bytes: [], route: .sendSocket, kind: .data, sequence: $0) }
    }
    mutating func finishInput(now: Instant) {}
    mutating func interrupt(now: Instant) {}
    mutating func handleTimeout(now: Instant) {}
    mutating func pollTransmit(now: Instant) -> Transmit? {
        guard !transmits.isEmpty else { return nil }
        let transmit = transmits.removeFirst()
        events.append(.note(sequence: transmit.sequence, reason: "built"))
        return transmit
    }
    mutating func pollDelivery() -> Delivery? { deliveries.isEmpty ? nil : deliveries.removeFirst() }
    mutating func pollEvent() -> Event? { events.isEmpty ? nil : events.removeFirst() }
    mutating func pollKeyLogEntry() -> KeyLogEntry? { keyLog.isEmpty ? nil : keyLog.removeFirst() }
    func nextTimeout() -> Instant? { nil }
}

struct CoreDriverTests {
    @Test("keys for the key log, events, then every delivery and its commit, then each datagram after its own event")
    func order() {
        var core = ScriptedCore()
        [UInt8]().withUnsafeBytes { core.receive($0, now: .zero) }
        var sink = RecordingSink()
        CoreDriver.drain(&core, now: .zero, into: &sink)
        #expect(sink.trace == [
            .keys(7),
            .log(.note(sequence: nil, reason: "received")),
            .show("one"), .show("two"), .commit,
            .log(.note(sequence: 1, reason: "built")), .send(1),
            .log(.note(sequence: 2, reason: "built")), .send(2),
        ])
    }

    @Test("a real session shows a message before the datagram that acknowledges it leaves")
    func showBeforeAcknowledging() throws {
        let now = Instant(microseconds: 1_000_000)
        var bob = Session(configuration: SessionConfiguration(name: "bob", sessionID: SessionID(rawValue: 0x10000)),
                          now: now)
        var alice = Session(
            configuration: SessionConfiguration(name: "alice", sessionID: SessionID(rawValue: 0xA_0000)), now: now)
        alice.believe(bob.identity, now: now)
        bob.believe(alice.identity, name: "alice", now: now)
        try bob.submit("hello", now: now)
        var bobDatagrams: [[UInt8]] = []
        while let transmit = bob.pollTransmit(now: now) { bobDatagrams.append(transmit.bytes) }
        var aliceSink = RecordingSink()
        for datagram in bobDatagrams {
            datagram.withUnsafeBytes { alice.receive($0, now: now) }
            CoreDriver.drain(&alice, now: now, into: &aliceSink)
        }
        let shown = try #require(aliceSink.trace.firstIndex(of: .show("hello")))
        let sends = aliceSink.trace.indices.filter { if case .send = aliceSink.trace[$0] { true } else { false } }
        #expect(!sends.isEmpty)
        #expect(aliceSink.trace[shown + 1] == .commit)
        // Alice's datagrams (the acknowledgement) all carry a count that covers "hello".
        #expect(sends.allSatisfy { $0 > shown })
    }
}
