import PeerWire
import Testing

/// PEER/2's compact header carries exactly the datagrams PEER/1's readable one does: every sample and every datagram
/// the readable decoder accepts comes back unchanged; the layout is pinned by literal bytes; whatever the bytes,
/// decoding only throws or gives a datagram that survives another round trip.
struct CompactWireTests {
    static func context(of datagram: Datagram) -> CompactWire.Context {
        CompactWire.Context(from: datagram.from, session: datagram.session, to: datagram.to)
    }

    static func compactResult(_ bytes: [UInt8], context: CompactWire.Context) -> Result<Datagram, WireError> {
        Result { () throws(WireError) in try CompactWire.decode(bytes, context: context) }
    }

    static let alice = CompactWire.Context(from: "alice", session: SessionID(rawValue: 7), to: SessionID(rawValue: 9))

    @Test("decode(encode(d)) == d", arguments: WireRoundTripTests.samples)
    func roundTrip(sample: WireRoundTripTests.Sample) throws {
        let bytes = CompactWire.encode(sample.datagram)
        #expect(bytes.count < Wire.encode(sample.datagram).count)
        #expect(try CompactWire.decode(bytes, context: Self.context(of: sample.datagram)) == sample.datagram)
    }

    @Test("adversarial bodies survive", arguments: WireRoundTripTests.adversarialBodies)
    func adversarialBody(text: String) throws {
        let datagram = Datagram(
            kind: .resend, from: "bob", session: WireRoundTripTests.bob, ack: 8,
            sack: WireRoundTripTests.ranges([(10, 11), (3, 4)]), held: 9, base: 4, sequence: 4,
            transmission: 3, body: Array(text.utf8))
        #expect(try CompactWire.decode(CompactWire.encode(datagram), context: Self.context(of: datagram)) == datagram)
    }

    // MARK: Layout

    @Test("a chat segment is a 4-byte header and its text")
    func literalChatSegment() {
        let datagram = Datagram(
            kind: .data, from: "alice", session: SessionID(rawValue: 7), to: SessionID(rawValue: 9), ack: 2, base: 3,
            sequence: 3, body: Array("hello".utf8))
        #expect(CompactWire.encode(datagram) == [0x00, 0x02, 0x03, 0x00] + Array("hello".utf8))
    }

    @Test("every field, in the documented order")
    func literalEveryField() {
        let datagram = Datagram(
            kind: .resend, from: "bob", session: WireRoundTripTests.bob, ack: 300, sack: WireRoundTripTests.ranges(
                [(302, 302), (304, 305)]), held: 3, base: 5, sequence: 7, fragment: Fragment(index: 2, count: 3),
            transmission: 2, body: [0x61])
        let expected: [UInt8] = [
            0x01 | 0x10 | 0x20 | 0x40,  // RESEND, sack, held, frag
            0xAC, 0x02,  // ack 300
            0x05,  // base 5
            0x04,  // seq = base + 2, zigzagged
            0x02,  // tx
            0x02, 0x03,  // frag 2/3
            0x02, 0x04, 0x00, 0x04, 0x01,  // two ranges: 302 = ack + 2, one long; 304 = 302 + 2, two long
            0x03,  // held
            0x61,
        ]
        #expect(CompactWire.encode(datagram) == expected)
    }

    @Test("headers stay small where a conversation spends its bytes")
    func sizes() {
        let segment = Datagram(
            kind: .data, from: "alice", session: SessionID(rawValue: 7), ack: 9_000, base: 12_000, sequence: 12_000,
            body: [])
        #expect(CompactWire.encode(segment).count == 6)
        let acknowledgement = Datagram(
            kind: .ack, from: "bob", session: SessionID(rawValue: 8), ack: 12_000, held: 0, base: 9_001)
        #expect(CompactWire.encode(acknowledgement).count == 6)
    }

    // MARK: Faults

    static let faults: [([UInt8], WireError)] = [
        ([], .empty),
        (Array(repeating: 0, count: Wire.maxDatagramBytes + 1), .tooLarge(bytes: Wire.maxDatagramBytes + 1)),
        ([0x06, 0, 1], .unknownKind("6")),
        ([0x07, 0, 1], .unknownKind("7")),
        ([0x02], .missingField("ack")),
        ([0x02, 0x80], .missingField("ack")),  // a varint cut short
        ([0x02, 0x80, 0x00, 0x01], .malformedField("ack")),  // 0 spelled in two bytes
        ([0x02, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01], .outOfRange("base")),  // nine bytes
        ([0x02, 0x00, 0x81, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10], .outOfRange("base")),  // 2^53 + 1
        ([0x02, 0x00, 0x00], .outOfRange("base")),
        ([0x00, 0x00, 0x01, 0x01], .outOfRange("seq")),  // base 1 − 1 = 0
        ([0x00, 0x00, 0x02, 0x05], .outOfRange("seq")),  // base 2 − 3 is negative
        ([0x01, 0x00, 0x01, 0x00, 0x01], .outOfRange("tx")),
        ([0x01, 0x00, 0x01, 0x00], .missingField("tx")),
        ([0x00 | 0x80, 0x00, 0x01, 0x00, 0x01, 0x00], .outOfRange("lens")),  // one length is no batch
        ([0x00 | 0x80, 0x00, 0x01, 0x00, 0x02, 0x01, 0x01], .outOfRange("lens")),  // lengths 1 + 1, body 0
        ([0x00 | 0x40, 0x00, 0x01, 0x00, 0x03, 0x02], .outOfRange("frag")),
        ([0x02 | 0x10, 0x00, 0x01, 0x00], .outOfRange("sack")),  // no ranges
        ([0x02 | 0x10, 0x00, 0x01, 0x01, 0x00, 0x00], .outOfRange("sack")),  // lower 0
        ([0x02 | 0x08, 0x00, 0x01], .unexpectedField("fin")),
        ([0x00 | 0x08, 0x00, 0x01, 0x00, 0x61], .unexpectedField("body")),
        ([0x02, 0x00, 0x01, 0x61], .unexpectedField("body")),
        ([0x03, 0x00, 0x01], .missingField("ts")),
        ([0x00, 0x00, 0x01, 0x00, 0xFF], .invalidUTF8),
        ([0x02 | 0x10 | 0x20, 0x00, 0x01, 0x01, 0x02, 0x01, 0x01], .outOfRange("held")),  // 1-2 held, says 1
    ]

    @Test("each fault is named", arguments: Array(faults.indices))
    func fault(index: Int) {
        let (bytes, error) = Self.faults[index]
        #expect(Self.compactResult(bytes, context: Self.alice) == .failure(error))
    }

    // MARK: Equivalence and hostile bytes

    @Test("whatever the readable decoder accepts, the compact form carries unchanged", arguments: [UInt64(31), 32])
    func sameDatagramsAsReadable(seed: UInt64) {
        var generator = SplitMix64(seed: seed)
        var accepted = 0
        for _ in 0..<4_000 {
            var bytes = WireRoundTripTests.samples.randomElement(using: &generator).map { Wire.encode($0.datagram) }
                ?? []
            mutate(&bytes, using: &generator)
            guard case .success(let datagram) = decodeResult(bytes) else { continue }
            accepted += 1
            let compact = CompactWire.encode(datagram)
            #expect(Self.compactResult(compact, context: Self.context(of: datagram)) == .success(datagram))
        }
        #expect(accepted > 100)
    }

    @Test("random and mutated bytes only ever throw or decode to a datagram that round-trips",
          arguments: [UInt64(41), 42, 43])
    func hostileBytes(seed: UInt64) {
        var generator = SplitMix64(seed: seed)
        var decoded = 0
        for round in 0..<20_000 {
            var bytes: [UInt8]
            if round.isMultiple(of: 4) {
                bytes = generator.bytes(Int.random(in: 0...40, using: &generator))
            } else {
                bytes = WireRoundTripTests.samples.randomElement(using: &generator)
                    .map { CompactWire.encode($0.datagram) } ?? []
                mutate(&bytes, using: &generator)
            }
            guard case .success(let datagram) = Self.compactResult(bytes, context: Self.alice) else { continue }
            decoded += 1
            #expect(Self.compactResult(CompactWire.encode(datagram), context: Self.alice) == .success(datagram))
        }
        #expect(decoded > 1_000)
    }

    private func mutate(_ bytes: inout [UInt8], using generator: inout SplitMix64) {
        switch Int.random(in: 0..<4, using: &generator) {
        case 0 where !bytes.isEmpty:
            let index = Int.random(in: bytes.indices, using: &generator)
            bytes[index] ^= UInt8(1) << UInt8.random(in: 0..<8, using: &generator)
        case 1 where !bytes.isEmpty:
            bytes.removeLast(Int.random(in: 1...bytes.count, using: &generator))
        case 2:
            bytes.insert(UInt8.random(in: 0...255, using: &generator),
                         at: Int.random(in: 0...bytes.count, using: &generator))
        default:
            if !bytes.isEmpty {
                bytes[Int.random(in: bytes.indices, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            }
        }
    }
}
