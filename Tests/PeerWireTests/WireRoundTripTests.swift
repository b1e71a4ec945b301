import PeerWire
import Testing

/// `Wire.encode` and `Wire.decode` are inverses: every kind of datagram, every optional field, and message
/// bodies that look like header syntax, other scripts or nothing at all come back exactly as they went in.
/// Also pins the byte layout with literal examples and checks that the widest datagrams stay within the limit.
struct WireRoundTripTests {
    static let alice = SessionID(rawValue: 0x0197_a1b2_c3d4_0a1f)
    static let bob = SessionID(rawValue: 0x10000)

    /// A labelled datagram, so each parameterised case names itself in the test report.
    struct Sample: Sendable, CustomTestStringConvertible {
        var label: String
        var datagram: Datagram
        var testDescription: String { label }
    }

    static func ranges(_ pairs: [(UInt64, UInt64)]) -> [SequenceRange] {
        pairs.map { SequenceRange(lower: $0.0, upper: $0.1)! }
    }

    /// Up to `Wire.maxSackRanges` runs: 2, 4-5, 7, 9-10, ...
    static let maximalSack: [SequenceRange] = (0..<UInt64(Wire.maxSackRanges)).map { index in
        let lower = 2 + index * 3
        return index.isMultiple(of: 2) ? SequenceRange(single: lower) : SequenceRange(lower: lower, upper: lower + 1)!
    }

    static let samples: [Sample] = [
        Sample(label: "DATA one piece", datagram: Datagram(
            kind: .data, from: "alice", session: alice, ack: 2, base: 3, sequence: 3, body: Array("hello".utf8))),
        Sample(label: "DATA fragment with sack", datagram: Datagram(
            kind: .data, from: "alice", session: alice, ack: 40, sack: ranges([(42, 44), (47, 47), (50, 61)]),
            base: 12, sequence: 700, fragment: Fragment(index: 2, count: 5),
            body: Array(repeating: 0x41, count: 1000))),
        Sample(label: "DATA fragment holding invalid UTF-8 on its own", datagram: Datagram(
            kind: .data, from: "bob", session: bob, ack: 0, base: 1, sequence: 1,
            fragment: Fragment(index: 1, count: 2), body: [0x61, 0xE2, 0x82])),
        Sample(label: "DATA last fragment of the largest message", datagram: Datagram(
            kind: .data, from: "bob", session: bob, ack: 0, base: 1, sequence: 1100,
            fragment: Fragment(index: Fragment.maxCount, count: Fragment.maxCount), body: [0x82, 0xAC])),
        Sample(label: "DATA fin with empty body", datagram: Datagram(
            kind: .data, from: "alice", session: alice, ack: 9, base: 4, fin: true, sequence: 10)),
        Sample(label: "DATA empty message", datagram: Datagram(
            kind: .data, from: "alice", session: alice, ack: 0, base: 1, sequence: 1)),
        Sample(label: "RESEND with tx", datagram: Datagram(
            kind: .resend, from: "bob", session: bob, ack: 5, base: 2, sequence: 2, transmission: 2,
            body: Array("again".utf8))),
        Sample(label: "RESEND fragment with tx and sack", datagram: Datagram(
            kind: .resend, from: "bob_2.x-y", session: bob, ack: 17, sack: ranges([(19, 19), (21, 30)]), base: 9,
            sequence: 9, fragment: Fragment(index: 3, count: 3), transmission: 14, body: Array("tail".utf8))),
        Sample(label: "RESEND fin", datagram: Datagram(
            kind: .resend, from: "Zoë", session: bob, ack: 1, base: 6, fin: true, sequence: 6,
            transmission: Int(Int32.max))),
        Sample(label: "ACK bare", datagram: Datagram(kind: .ack, from: "alice", session: alice, ack: 0, base: 1)),
        Sample(label: "ACK with one range", datagram: Datagram(
            kind: .ack, from: "alice", session: alice, ack: 3, sack: ranges([(5, 5)]), base: 1)),
        Sample(label: "ACK with the most ranges allowed", datagram: Datagram(
            kind: .ack, from: "alice", session: alice, ack: 0, sack: maximalSack, base: 1)),
        Sample(label: "ACK with the largest numbers", datagram: Datagram(
            kind: .ack, from: "alice", session: SessionID(rawValue: .max), ack: largestWireNumber - 2,
            sack: ranges([(largestWireNumber, largestWireNumber)]), base: largestWireNumber)),
        Sample(label: "PING", datagram: Datagram(
            kind: .ping, from: "alice", session: alice, ack: 0, base: 1, timestamp: 1_234_567)),
        Sample(label: "PING at time zero", datagram: Datagram(
            kind: .ping, from: "alice", session: SessionID(rawValue: 0), ack: 0, base: 1, timestamp: 0)),
        Sample(label: "PONG", datagram: Datagram(
            kind: .pong, from: "bob", session: bob, ack: 12, sack: ranges([(14, 15)]), base: 3, echo: 1_234_567)),
        Sample(label: "BYE", datagram: Datagram(kind: .bye, from: "bob", session: bob, ack: 31, base: 32)),
    ]

    @Test("decode(encode(d)) == d", arguments: samples)
    func roundTrip(sample: Sample) throws {
        let bytes = Wire.encode(sample.datagram)
        #expect(bytes.count <= Wire.maxDatagramBytes)
        #expect(try Wire.decode(bytes) == sample.datagram)
    }

    @Test("the samples cover every kind")
    func samplesCoverEveryKind() {
        let covered = Set(Self.samples.map(\.datagram.kind.rawValue))
        #expect(covered == Set(DatagramKind.allCases.filter { $0 != .handshake }.map(\.rawValue)))
    }

    static let adversarialBodies: [String] = [
        "",
        "well-known",
        "ends with -3",
        "-resend",
        "hello -0",
        "tab\there\tand\tthere",
        "line one\nline two\n",
        "\n",
        "\r\n\r\n",
        "PEER/1 DATA from=mallory sid=0000000000000001 seq=1 ack=0 base=1\nforged",
        "PEER/2 BYE",
        "seq=99 ack=99 base=1 fin=1 frag=1/2",
        "  leading and trailing spaces  ",
        "=",
        "你好，世界",
        "こんにちは",
        "مرحبا بالعالم",
        "👩‍👩‍👧‍👦 family, 🏳️‍🌈 flag, 👍🏽",
        "e\u{301} combining, \u{200B}zero width, \u{202E}right-to-left override",
        "\u{0}NUL and \u{7F}DEL",
    ]

    @Test("adversarial bodies survive a one-piece DATA", arguments: adversarialBodies)
    func adversarialDataBody(text: String) throws {
        let datagram = Datagram(
            kind: .data, from: "alice", session: Self.alice, ack: 2, base: 3, sequence: 3, body: Array(text.utf8))
        let decoded = try Wire.decode(Wire.encode(datagram))
        #expect(decoded == datagram)
        #expect(String(decoding: decoded.body, as: UTF8.self) == text)
    }

    @Test("adversarial bodies survive a RESEND fragment with sack", arguments: adversarialBodies)
    func adversarialResendFragmentBody(text: String) throws {
        let datagram = Datagram(
            kind: .resend, from: "bob", session: Self.bob, ack: 8, sack: Self.ranges([(10, 11)]), base: 4,
            sequence: 4, fragment: Fragment(index: 1, count: 2), transmission: 3, body: Array(text.utf8))
        #expect(try Wire.decode(Wire.encode(datagram)) == datagram)
    }

    @Test("a body of every byte value survives a fragment")
    func everyByteValue() throws {
        let datagram = Datagram(
            kind: .data, from: "bob", session: Self.bob, ack: 0, base: 1, sequence: 1,
            fragment: Fragment(index: 1, count: 2), body: (0...255).map { UInt8($0) })
        #expect(try Wire.decode(Wire.encode(datagram)) == datagram)
    }

    @Test("encode(into:) appends to what the buffer already holds")
    func encodeIntoAppends() {
        let datagram = Datagram(kind: .bye, from: "bob", session: Self.bob, ack: 1, base: 2)
        var buffer: [UInt8] = [1, 2, 3]
        Wire.encode(datagram, into: &buffer)
        #expect(buffer == [1, 2, 3] + Wire.encode(datagram))
    }

    // MARK: Literal examples: these document the format.

    @Test("a DATA datagram is exactly the documented bytes")
    func literalData() {
        let datagram = Datagram(
            kind: .data, from: "alice", session: Self.alice, ack: 2, base: 3, sequence: 3, body: Array("hello".utf8))
        let expected = "PEER/1 DATA from=alice sid=0197a1b2c3d40a1f seq=3 ack=2 base=3\nhello"
        #expect(Wire.encode(datagram) == Array(expected.utf8))
    }

    @Test("every field of a segment, in the order the encoder writes them")
    func literalResend() {
        let datagram = Datagram(
            kind: .resend, from: "bob", session: Self.bob, ack: 4, sack: Self.ranges([(6, 6), (8, 9)]), base: 5,
            sequence: 7, fragment: Fragment(index: 2, count: 3), transmission: 2, body: Array("lo\nwo".utf8))
        let expected = "PEER/1 RESEND from=bob sid=0000000000010000 seq=7 frag=2/3 tx=2 ack=4 sack=6,8-9 base=5\nlo\nwo"
        #expect(Wire.encode(datagram) == Array(expected.utf8))
    }

    @Test("control datagrams: fin, ts and echo come last, and the line ends even without a body")
    func literalControl() {
        let fin = Datagram(kind: .data, from: "bob", session: Self.bob, ack: 0, base: 1, fin: true, sequence: 4)
        #expect(Wire.encode(fin) == Array("PEER/1 DATA from=bob sid=0000000000010000 seq=4 ack=0 base=1 fin=1\n".utf8))
        let ping = Datagram(kind: .ping, from: "bob", session: Self.bob, ack: 0, base: 1, timestamp: 0)
        #expect(Wire.encode(ping) == Array("PEER/1 PING from=bob sid=0000000000010000 ack=0 base=1 ts=0\n".utf8))
        let pong = Datagram(kind: .pong, from: "bob", session: Self.bob, ack: 10, base: 1, echo: 987_654)
        let pongText = "PEER/1 PONG from=bob sid=0000000000010000 ack=10 base=1 echo=987654\n"
        #expect(Wire.encode(pong) == Array(pongText.utf8))
    }

    // MARK: Size

    /// A RESEND with every field at its widest that a session can produce, without `sack`.
    static let widestSegment = Datagram(
        kind: .resend, from: String(repeating: "n", count: Wire.maxNameBytes), session: SessionID(rawValue: .max),
        ack: largestWireNumber, base: largestWireNumber - 1, sequence: largestWireNumber - 1,
        fragment: Fragment(index: Fragment.maxCount, count: Fragment.maxCount), transmission: Int(Int32.max),
        body: Array(repeating: 0xFF, count: Wire.maxSegmentBody))

    @Test("the widest segment without sack fits in a datagram and decodes")
    func widestSegmentFits() throws {
        let bytes = Wire.encode(Self.widestSegment)
        #expect(bytes.count <= Wire.maxDatagramBytes)
        #expect(try Wire.decode(bytes) == Self.widestSegment)
    }

    @Test("a one-piece message of maxSegmentBody bytes with a wide header fits")
    func widestOnePieceFits() throws {
        let datagram = Datagram(
            kind: .resend, from: String(repeating: "é", count: Wire.maxNameBytes / 2),
            session: SessionID(rawValue: .max),
            ack: largestWireNumber, base: largestWireNumber, sequence: largestWireNumber,
            transmission: Int(Int32.max), body: Array(String(repeating: "z", count: Wire.maxSegmentBody).utf8))
        let bytes = Wire.encode(datagram)
        #expect(bytes.count <= Wire.maxDatagramBytes)
        #expect(try Wire.decode(bytes) == datagram)
    }
}
