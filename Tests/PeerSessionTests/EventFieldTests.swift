import PeerSession
import PeerWire
import Testing

/// The log's field names keep one meaning each (docs/LOGS.md): a `seq` always comes with the direction that says
/// whose segment it is, `bytes` is always a datagram's size and `text_bytes` a text's.
struct EventFieldTests {
    static let segmentEvents: [(Event, direction: String)] = [
        (.send(kind: .data, sequence: 4, segments: 1, fragment: nil, ack: 0, sack: [], bytes: 85), "out"),
        (.resend(sequence: 4, transmission: 2, reason: .count, ack: 0, bytes: 2), "out"),
        (.drop(kind: .data, sequence: 4, bytes: 85), "out"),
        (.impair(kind: .data, sequence: 4, effect: "duplicate", delay: nil), "out"),
        (.receive(kind: .data, sequence: 4, segments: 1, transmission: nil, ack: 0, sack: [], bytes: 85), "in"),
        (.deliver(sequence: 4, count: 4, bytes: 2), "in"),
        (.duplicate(sequence: 4, count: 4), "in"),
        (.hold(sequence: 4, expected: 3, held: 1), "in"),
        (.abandon(sequence: 4, reason: "cut short", textBytes: 9), "in"),
    ]

    @Test("every event about a segment says whose segment it is")
    func segmentEventsHaveDirection() {
        for (event, direction) in Self.segmentEvents {
            let fields = Dictionary(event.fields, uniquingKeysWith: { first, _ in first })
            #expect(fields["seq"] != nil, "\(event.name)")
            #expect(fields["dir"] == .text(direction), "\(event.name): \(event.fields)")
        }
    }

    @Test("bytes is a datagram's size; the size of a text is text_bytes")
    func bytesHasOneMeaning() {
        let textSized: [Event] = [
            .resend(sequence: 4, transmission: 2, reason: .count, ack: 0, bytes: 2),
            .deliver(sequence: 4, count: 4, bytes: 2),
            .abandon(sequence: 4, reason: "cut short", textBytes: 9),
        ]
        for event in textSized {
            let names = event.fields.map(\.0)
            #expect(names.contains("text_bytes") && !names.contains("bytes"), "\(event.name): \(names)")
        }
        let datagramSized: [Event] = [
            .send(kind: .ack, sequence: nil, segments: 0, fragment: nil, ack: 0, sack: [], bytes: 74),
            .receive(kind: .ack, sequence: nil, segments: 0, transmission: nil, ack: 0, sack: [], bytes: 74),
            .drop(kind: .ack, sequence: nil, bytes: 74),
            .reject(reason: "x", bytes: 60),
        ]
        for event in datagramSized {
            #expect(event.fields.map(\.0).contains("bytes"), "\(event.name)")
        }
    }
}
