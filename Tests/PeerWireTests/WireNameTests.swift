import PeerWire
import Testing

/// `Wire.isValidName`: which display names can be sent as `from=`, and that the decoder agrees with it.
struct WireNameTests {
    static let valid = [
        "alice", "Zoë", "bob_2.x-y", "a", String(repeating: "x", count: Wire.maxNameBytes),
        String(repeating: "ë", count: Wire.maxNameBytes / 2), "张三", "👩‍💻", "O'Brien", "-3", "PEER/1", "❤️",
        "👨‍👩‍👧", "🏳️‍🌈", "Ω", "أحمد", "नमस्ते",
    ]

    static let invalid = [
        "", String(repeating: "x", count: Wire.maxNameBytes + 1),
        String(repeating: "ë", count: Wire.maxNameBytes / 2) + "x", "a b", " ", "a=b", "=", "a\tb", "a\u{7F}b",
        "a\nb", "a\rb", "\u{0}", "a\u{1B}b",
    ]

    @Test("accepted names", arguments: valid)
    func accepted(name: String) throws {
        #expect(Wire.isValidName(name))
        let datagram = Datagram(kind: .bye, from: name, session: SessionID(rawValue: 1), ack: 0, base: 1)
        #expect(try Wire.decode(Wire.encode(datagram)).from == name)
    }

    @Test("refused names", arguments: invalid)
    func refused(name: String) {
        #expect(!Wire.isValidName(name))
    }

    @Test("a name the sender would refuse is refused by the decoder too", arguments: invalid.filter { !$0.isEmpty })
    func decoderAgrees(name: String) {
        // A space splits the header and a newline ends it, so they surface as some other fault; everything else
        // is a bad `from`.
        let bytes = datagramBytes("PEER/1 ACK from=\(name) sid=0000000000000001 ack=0 base=1")
        if name.contains(" ") || name.contains("\n") {
            #expect(throws: WireError.self) { try Wire.decode(bytes) }
        } else {
            #expect(throws: WireError.malformedField("from")) { try Wire.decode(bytes) }
        }
    }
}

/// Names cannot carry terminal controls in any encoding.
struct WireNameControlTests {
    @Test("C1 controls and bidirectional overrides are not valid in a name",
          arguments: ["a\u{85}b", "a\u{9B}2J", "\u{80}", "evil\u{202E}txt", "a\u{2066}b"])
    func controls(name: String) {
        #expect(!Wire.isValidName(name))
        let header = "PEER/1 ACK from=\(name) sid=0000000000010000 ack=0 base=1\n"
        #expect(throws: WireError.malformedField("from")) { try Wire.decode(Array(header.utf8)) }
    }

    @Test("a session identity has exactly one spelling: 16 hex digits")
    func sessionSpelling() {
        #expect(throws: WireError.malformedField("sid")) {
            try Wire.decode(Array("PEER/1 ACK from=bob sid=1 ack=0 base=1\n".utf8))
        }
    }
}
