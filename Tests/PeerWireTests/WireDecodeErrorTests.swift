import PeerWire
import Testing

/// `Wire.decode` refuses every malformed, truncated, oversized or inconsistent datagram with the exact
/// `WireError` that names the fault, accepts (and ignores) unknown fields, and never crashes on random bytes.
struct WireDecodeErrorTests {
    /// One malformed input and the error it must give.
    struct Case: Sendable, CustomTestStringConvertible {
        var label: String
        var bytes: [UInt8]
        var error: WireError
        var testDescription: String { label }

        init(_ label: String, _ bytes: [UInt8], _ error: WireError) {
            self.label = label
            self.bytes = bytes
            self.error = error
        }

        /// A case whose datagram is `header`, a newline and `body`.
        init(_ label: String, header: String, body: [UInt8] = [], _ error: WireError) {
            self.init(label, datagramBytes(header, body: body), error)
        }
    }

    static let who = "from=bob sid=0000000000010000"
    static let data = "PEER/1 DATA \(who) seq=1 ack=0 base=1"
    static let resend = "PEER/1 RESEND \(who) seq=1 tx=2 ack=0 base=1"
    static let ack = "PEER/1 ACK \(who) ack=0 base=1"
    static let ping = "PEER/1 PING \(who) ack=0 base=1 ts=5"
    static let pong = "PEER/1 PONG \(who) ack=0 base=1 echo=5"
    static let bye = "PEER/1 BYE \(who) ack=0 base=1"

    /// `count` single-number ranges: `1,3,5,...`.
    static func sack(_ count: Int) -> String {
        "sack=" + (0..<count).map { String(1 + 2 * $0) }.joined(separator: ",")
    }

    static let framingCases: [Case] = [
        Case("empty", [], .empty),
        Case("one byte", [0x50], .notPeerProtocol),
        Case("a lone newline", [0x0A], .notPeerProtocol),
        Case("a lone NUL", [0x00], .notPeerProtocol),
        Case("no newline after the header", Array(data.utf8), .unterminatedHeader),
        Case("just the version word", Array("PEER/1".utf8), .unterminatedHeader),
        Case("truncated mid-field", Array("PEER/1 DATA from=bob sid=00000".utf8), .unterminatedHeader),
        Case("not PEER at all", header: "HELLO world", .notPeerProtocol),
        Case("HTTP", header: "GET / HTTP/1.1\r", .notPeerProtocol),
        Case("lower-case version", header: "peer/1 DATA \(who) seq=1 ack=0 base=1", .notPeerProtocol),
        Case("a space before the version", header: " PEER/1 DATA \(who) seq=1 ack=0 base=1", .notPeerProtocol),
        Case("version 2", header: "PEER/2 DATA \(who) seq=1 ack=0 base=1", .unsupportedVersion("PEER/2")),
        Case("version 10", header: "PEER/10 DATA \(who) seq=1 ack=0 base=1", .unsupportedVersion("PEER/10")),
        Case("version missing its number", header: "PEER/ DATA \(who)", .unsupportedVersion("PEER/")),
        Case("no kind", header: "PEER/1", .missingField("kind")),
        Case("unknown kind", header: "PEER/1 CHAT \(who) ack=0 base=1", .unknownKind("CHAT")),
        Case("lower-case kind", header: "PEER/1 data \(who) seq=1 ack=0 base=1", .unknownKind("data")),
        Case("two spaces before the kind", header: "PEER/1  DATA \(who) seq=1 ack=0 base=1", .unknownKind("")),
        Case("too large by one byte", Array(repeating: 0x41, count: Wire.maxDatagramBytes + 1),
             .tooLarge(bytes: Wire.maxDatagramBytes + 1)),
        Case("a valid header with a body one byte too long",
             datagramBytes(data, body: Array(repeating: 0x61, count: Wire.maxDatagramBytes - data.utf8.count)),
             .tooLarge(bytes: Wire.maxDatagramBytes + 1)),
        Case("64 KiB", Array(repeating: 0x0A, count: 65_536), .tooLarge(bytes: 65_536)),
    ]

    static let fieldSyntaxCases: [Case] = [
        Case("field without =", header: "PEER/1 DATA \(who) seq ack=0 base=1", .malformedField("seq")),
        Case("=value with empty key", header: "\(data) =value", .malformedField("=value")),
        Case("two spaces between fields", header: "PEER/1 DATA \(who)  seq=1 ack=0 base=1", .malformedField("")),
        Case("unprintable bad word is masked", header: "\(data) a\u{1}b", .malformedField("a?b")),
        Case("duplicate seq", header: "\(data) seq=1", .duplicateField("seq")),
        Case("duplicate from", header: "\(data) from=bob", .duplicateField("from")),
        Case("duplicate sid", header: "\(data) sid=0000000000010000", .duplicateField("sid")),
        Case("duplicate ack", header: "\(data) ack=0", .duplicateField("ack")),
        Case("duplicate base", header: "\(data) base=1", .duplicateField("base")),
        Case("duplicate tx", header: "\(resend) tx=2", .duplicateField("tx")),
        Case("duplicate frag", header: "\(data) frag=1/2 frag=1/2", .duplicateField("frag")),
        Case("duplicate sack", header: "\(ack) sack=2 sack=2", .duplicateField("sack")),
        Case("duplicate ts", header: "\(ping) ts=5", .duplicateField("ts")),
        Case("duplicate echo", header: "\(pong) echo=5", .duplicateField("echo")),
        Case("duplicate fin", header: "\(data) fin=1 fin=1", .duplicateField("fin")),
    ]

    static let requiredFieldsCases: [Case] = [
        Case("missing from", header: "PEER/1 DATA sid=0000000000010000 seq=1 ack=0 base=1", .missingField("from")),
        Case("missing sid", header: "PEER/1 DATA from=bob seq=1 ack=0 base=1", .missingField("sid")),
        Case("missing ack", header: "PEER/1 DATA \(who) seq=1 base=1", .missingField("ack")),
        Case("missing base", header: "PEER/1 DATA \(who) seq=1 ack=0", .missingField("base")),
        Case("missing everything", header: "PEER/1 BYE", .missingField("from")),
        Case("DATA without seq", header: "PEER/1 DATA \(who) ack=0 base=1", .missingField("seq")),
        Case("RESEND without seq", header: "PEER/1 RESEND \(who) tx=2 ack=0 base=1", .missingField("seq")),
        Case("seq=0", header: "PEER/1 DATA \(who) seq=0 ack=0 base=1", .outOfRange("seq")),
        Case("base=0", header: "PEER/1 DATA \(who) seq=1 ack=0 base=0", .outOfRange("base")),
        Case("RESEND without tx", header: "PEER/1 RESEND \(who) seq=1 ack=0 base=1", .missingField("tx")),
        Case("DATA with tx", header: "\(data) tx=2", .unexpectedField("tx")),
        Case("tx=1", header: "PEER/1 RESEND \(who) seq=1 tx=1 ack=0 base=1", .outOfRange("tx")),
        Case("tx=0", header: "PEER/1 RESEND \(who) seq=1 tx=0 ack=0 base=1", .outOfRange("tx")),
        Case("tx above Int32.max", header: "PEER/1 RESEND \(who) seq=1 tx=2147483648 ack=0 base=1", .outOfRange("tx")),
        Case("PING without ts", header: "PEER/1 PING \(who) ack=0 base=1", .missingField("ts")),
        Case("PONG without echo", header: "PEER/1 PONG \(who) ack=0 base=1", .missingField("echo")),
    ]

    static let fieldsOutOfPlaceCases: [Case] = [
        Case("ts on an ACK", header: "\(ack) ts=5", .unexpectedField("ts")),
        Case("ts on a DATA", header: "\(data) ts=5", .unexpectedField("ts")),
        Case("ts on a PONG", header: "\(pong) ts=5", .unexpectedField("ts")),
        Case("echo on a PING", header: "\(ping) echo=5", .unexpectedField("echo")),
        Case("echo on a BYE", header: "\(bye) echo=5", .unexpectedField("echo")),
        Case("body on an ACK", header: ack, body: Array("hi".utf8), .unexpectedField("body")),
        Case("body on a PING", header: ping, body: [0x0A], .unexpectedField("body")),
        Case("body on a BYE", header: bye, body: Array("bye".utf8), .unexpectedField("body")),
        Case("seq on a PING", header: "\(ping) seq=1", .unexpectedField("seq")),
        Case("seq on an ACK", header: "\(ack) seq=1", .unexpectedField("seq")),
        Case("frag on an ACK", header: "\(ack) frag=1/2", .unexpectedField("frag")),
        Case("tx on a PONG", header: "\(pong) tx=2", .unexpectedField("tx")),
        Case("fin on an ACK", header: "\(ack) fin=1", .unexpectedField("fin")),
        Case("fin on a BYE", header: "\(bye) fin=1", .unexpectedField("fin")),
        Case("fin=2", header: "\(data) fin=2", .outOfRange("fin")),
        Case("fin=0", header: "\(data) fin=0", .outOfRange("fin")),
        Case("fin on a fragment", header: "\(data) frag=2/2 fin=1", .unexpectedField("frag")),
        Case("fin with a body", header: "\(data) fin=1", body: Array("x".utf8), .unexpectedField("body")),
    ]

    static let fragmentsCases: [Case] = [
        Case("frag=0/3", header: "\(data) frag=0/3", .outOfRange("frag")),
        Case("frag=4/3", header: "\(data) frag=4/3", .outOfRange("frag")),
        Case("frag=1/1", header: "\(data) frag=1/1", .outOfRange("frag")),
        Case("frag=1/0", header: "\(data) frag=1/0", .outOfRange("frag")),
        Case("frag=a/b", header: "\(data) frag=a/b", .malformedField("frag")),
        Case("frag without slash", header: "\(data) frag=2", .malformedField("frag")),
        Case("frag with two slashes", header: "\(data) frag=1/2/3", .malformedField("frag")),
        Case("frag with empty index", header: "\(data) frag=/3", .malformedField("frag")),
        Case("frag=01/3", header: "\(data) frag=01/3", .malformedField("frag")),
        Case("frag count above maxCount", header: "\(data) frag=1/\(Fragment.maxCount + 1)", .outOfRange("frag")),
        Case("frag index and count above maxCount",
             header: "\(data) frag=\(Fragment.maxCount + 1)/\(Fragment.maxCount + 1)", .outOfRange("frag")),
        Case("frag count beyond Int", header: "\(data) frag=1/99999999999999999999", .outOfRange("frag")),
    ]

    static let sackRangesCases: [Case] = [
        Case("sack with 65 ranges", header: "\(ack) \(sack(Wire.maxSackRanges + 1))", .outOfRange("sack")),
        Case("sack inverted 5-3", header: "\(ack) sack=5-3", .outOfRange("sack")),
        Case("sack=0", header: "\(ack) sack=0", .outOfRange("sack")),
        Case("sack=0-3", header: "\(ack) sack=0-3", .outOfRange("sack")),
        Case("sack empty", header: "\(ack) sack=", .malformedField("sack")),
        Case("sack with an empty range", header: "\(ack) sack=2,,4", .malformedField("sack")),
        Case("sack with a trailing comma", header: "\(ack) sack=2,", .malformedField("sack")),
        Case("sack open-ended", header: "\(ack) sack=2-", .malformedField("sack")),
        Case("sack with a leading dash", header: "\(ack) sack=-2", .malformedField("sack")),
        Case("sack with two dashes", header: "\(ack) sack=2-3-4", .malformedField("sack")),
        Case("sack above 2^53", header: "\(ack) sack=2-9007199254740993", .outOfRange("sack")),
    ]

    static let numbersCases: [Case] = [
        Case("negative", header: "PEER/1 ACK \(who) ack=-1 base=1", .malformedField("ack")),
        Case("non-numeric", header: "PEER/1 ACK \(who) ack=abc base=1", .malformedField("ack")),
        Case("empty number", header: "PEER/1 ACK \(who) ack= base=1", .malformedField("ack")),
        Case("plus sign", header: "PEER/1 ACK \(who) ack=+1 base=1", .malformedField("ack")),
        Case("hex number", header: "PEER/1 ACK \(who) ack=0x10 base=1", .malformedField("ack")),
        Case("leading zero 007", header: "PEER/1 ACK \(who) ack=007 base=1", .malformedField("ack")),
        Case("leading zero 00", header: "PEER/1 ACK \(who) ack=00 base=1", .malformedField("ack")),
        Case("21 digits", header: "PEER/1 ACK \(who) ack=123456789012345678901 base=1", .outOfRange("ack")),
        Case("2^64", header: "PEER/1 ACK \(who) ack=18446744073709551616 base=1", .outOfRange("ack")),
        Case("2^64-1", header: "PEER/1 ACK \(who) ack=18446744073709551615 base=1", .outOfRange("ack")),
        Case("2^53+1", header: "PEER/1 ACK \(who) ack=9007199254740993 base=1", .outOfRange("ack")),
        Case("seq 2^53+1", header: "PEER/1 DATA \(who) seq=9007199254740993 ack=0 base=1", .outOfRange("seq")),
        Case("base 2^53+1", header: "PEER/1 ACK \(who) ack=0 base=9007199254740993", .outOfRange("base")),
        Case("ts 2^53+1", header: "PEER/1 PING \(who) ack=0 base=1 ts=9007199254740993", .outOfRange("ts")),
        Case("echo 2^53+1", header: "PEER/1 PONG \(who) ack=0 base=1 echo=9007199254740993", .outOfRange("echo")),
        Case("fin non-numeric", header: "\(data) fin=yes", .malformedField("fin")),
    ]

    static let identitiesCases: [Case] = [
        Case("sid upper-case hex", header: "PEER/1 ACK from=bob sid=000000000001000A ack=0 base=1",
             .malformedField("sid")),
        Case("sid of 17 digits", header: "PEER/1 ACK from=bob sid=00000000000010000 ack=0 base=1",
             .malformedField("sid")),
        Case("sid not hex", header: "PEER/1 ACK from=bob sid=000000000001000g ack=0 base=1", .malformedField("sid")),
        Case("sid empty", header: "PEER/1 ACK from=bob sid= ack=0 base=1", .malformedField("sid")),
        Case("sid with 0x", header: "PEER/1 ACK from=bob sid=0x00000000010000 ack=0 base=1", .malformedField("sid")),
        Case("name with =", header: "PEER/1 ACK from=a=b sid=0000000000010000 ack=0 base=1", .malformedField("from")),
        Case("name empty", header: "PEER/1 ACK from= sid=0000000000010000 ack=0 base=1", .malformedField("from")),
        Case("name of 33 bytes", header: "PEER/1 ACK from=\(String(repeating: "x", count: 33)) "
             + "sid=0000000000010000 ack=0 base=1", .malformedField("from")),
        Case("name of 17 two-byte characters", header: "PEER/1 ACK from=\(String(repeating: "ë", count: 17)) "
             + "sid=0000000000010000 ack=0 base=1", .malformedField("from")),
        Case("name with a control character", header: "PEER/1 ACK from=b\u{1B}[2Jb sid=0000000000010000 ack=0 base=1",
             .malformedField("from")),
        Case("name with a tab", header: "PEER/1 ACK from=b\tb sid=0000000000010000 ack=0 base=1",
             .malformedField("from")),
        Case("name with DEL", header: "PEER/1 ACK from=b\u{7F} sid=0000000000010000 ack=0 base=1",
             .malformedField("from")),
        Case("name with a carriage return", header: "PEER/1 ACK from=bob\r sid=0000000000010000 ack=0 base=1",
             .malformedField("from")),
        Case("name of invalid UTF-8",
             Array("PEER/1 ACK from=b".utf8) + [0xFF] + Array(" sid=0000000000010000 ack=0 base=1\n".utf8),
             .malformedField("from")),
    ]

    static let bodiesCases: [Case] = [
        Case("invalid UTF-8 one-piece DATA", header: data, body: [0x68, 0x69, 0xFF], .invalidUTF8),
        Case("truncated UTF-8 one-piece DATA", header: data, body: [0xE2, 0x82], .invalidUTF8),
        Case("overlong UTF-8 one-piece DATA", header: data, body: [0xC0, 0xAF], .invalidUTF8),
        Case("UTF-16 surrogate one-piece DATA", header: data, body: [0xED, 0xA0, 0x80], .invalidUTF8),
        Case("invalid UTF-8 one-piece RESEND", header: resend, body: [0xFE], .invalidUTF8),
    ]

    @Test("framing, version and kind", arguments: framingCases)
    func framing(_ testCase: Case) { Self.check(testCase) }

    @Test("field syntax and duplicates", arguments: fieldSyntaxCases)
    func fieldSyntax(_ testCase: Case) { Self.check(testCase) }

    @Test("required fields", arguments: requiredFieldsCases)
    func requiredFields(_ testCase: Case) { Self.check(testCase) }

    @Test("fields out of place", arguments: fieldsOutOfPlaceCases)
    func fieldsOutOfPlace(_ testCase: Case) { Self.check(testCase) }

    @Test("fragment positions", arguments: fragmentsCases)
    func fragments(_ testCase: Case) { Self.check(testCase) }

    @Test("sack ranges", arguments: sackRangesCases)
    func sackRanges(_ testCase: Case) { Self.check(testCase) }

    @Test("numbers", arguments: numbersCases)
    func numbers(_ testCase: Case) { Self.check(testCase) }

    @Test("names and session identities", arguments: identitiesCases)
    func identities(_ testCase: Case) { Self.check(testCase) }

    @Test("message bodies", arguments: bodiesCases)
    func bodies(_ testCase: Case) { Self.check(testCase) }

    static func check(_ testCase: Case, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(throws: testCase.error, sourceLocation: sourceLocation) { try Wire.decode(testCase.bytes) }
        // The same bytes through the buffer-pointer entry point give the same answer.
        let viaPointer = testCase.bytes.withUnsafeBytes { raw in
            Result { () throws(WireError) in try Wire.decode(raw) }
        }
        #expect(viaPointer == .failure(testCase.error), sourceLocation: sourceLocation)
    }

    // MARK: What is accepted at the edges

    /// Inputs next to the refused ones that must decode.
    static let acceptedEdges: [(String, [UInt8])] = [
        ("unknown field future=1", datagramBytes("\(data) future=1", body: Array("hi".utf8))),
        ("unknown fields of any shape", datagramBytes("\(ack) x-y=z ünïcode=✓ empty= k==v")),
        ("unknown field before the known ones", datagramBytes("PEER/1 ACK later=2 \(who) ack=0 base=1")),
        ("a trailing space", datagramBytes("\(ack) ")),
        ("fields in another order", datagramBytes("PEER/1 DATA base=1 ack=0 seq=1 sid=0000000000010000 from=bob")),
        ("sack with exactly 64 ranges", datagramBytes("\(ack) \(sack(Wire.maxSackRanges))")),
        ("2^53 everywhere", datagramBytes(
            "PEER/1 DATA \(who) seq=9007199254740992 ack=9007199254740992 sack=9007199254740992 "
            + "base=9007199254740992")),
        ("ack=0", datagramBytes(ack)),
        ("frag at maxCount", datagramBytes("\(data) frag=\(Fragment.maxCount)/\(Fragment.maxCount)")),
        ("invalid UTF-8 on a fragment", datagramBytes("\(data) frag=1/2", body: [0xFF, 0xE2])),
        ("fin=1 on a RESEND", datagramBytes("\(resend) fin=1")),
        ("name of 32 bytes", datagramBytes(
            "PEER/1 ACK from=\(String(repeating: "x", count: 32)) sid=0000000000010000 ack=0 base=1")),
        ("name Zoë", datagramBytes("PEER/1 ACK from=Zoë sid=0000000000010000 ack=0 base=1")),
        ("a body that is only newlines", datagramBytes(data, body: [0x0A, 0x0A])),
        ("exactly maxDatagramBytes", datagramBytes(
            data, body: Array(repeating: 0x61, count: Wire.maxDatagramBytes - data.utf8.count - 1))),
    ]

    @Test("inputs at the edge of the rules decode", arguments: acceptedEdges.map(\.0))
    func acceptedEdge(label: String) throws {
        let bytes = try #require(Self.acceptedEdges.first { $0.0 == label }?.1)
        let datagram = try Wire.decode(bytes)
        // Whatever was accepted encodes back to something that decodes to the same datagram.
        #expect(try Wire.decode(Wire.encode(datagram)) == datagram)
    }

    @Test("an unknown field is ignored, and everything else is read")
    func unknownFieldIgnored() throws {
        let datagram = try Wire.decode(datagramBytes("\(Self.data) future=1 frag=2/2", body: Array("hi".utf8)))
        #expect(datagram == Datagram(
            kind: .data, from: "bob", session: SessionID(rawValue: 0x10000), ack: 0, base: 1, sequence: 1,
            fragment: Fragment(index: 2, count: 2), body: Array("hi".utf8)))
    }

    @Test("the header ends at the first newline: a second PEER/1 line is body")
    func firstNewlineEndsHeader() throws {
        let body = Array("PEER/1 BYE \(Self.who) ack=0 base=1\n".utf8)
        let datagram = try Wire.decode(datagramBytes(Self.data, body: body))
        #expect(datagram.kind == .data)
        #expect(datagram.body == body)
    }

    @Test("a carriage return before the newline belongs to the last field")
    func carriageReturnIsNotStripped() {
        #expect(throws: WireError.malformedField("base")) {
            try Wire.decode(Array("PEER/1 ACK \(Self.who) ack=0 base=1\r\n".utf8))
        }
    }

    // MARK: Fuzz

    @Test("random bytes only ever throw", arguments: [UInt64(1), 2, 3])
    func randomBytes(seed: UInt64) {
        var random = SplitMix64(seed: seed)
        for _ in 0..<2000 {
            let count = Int.random(in: 0...(Wire.maxDatagramBytes + 100), using: &random)
            var bytes = random.bytes(count)
            if count > 0, bytes[0] == UInt8(ascii: "P") { bytes[0] = 0 }
            let result = decodeResult(bytes)
            if count == 0 {
                #expect(result == .failure(.empty))
            } else if count > Wire.maxDatagramBytes {
                #expect(result == .failure(.tooLarge(bytes: count)))
            } else {
                #expect(result == .failure(.notPeerProtocol))
            }
        }
    }

    /// Random header words drawn from the format's own vocabulary, so the parser gets past the first checks.
    static let vocabulary: [String] = [
        "from=bob", "from=", "from=a=b", "sid=0000000000010000", "sid=1", "sid=FFFF", "seq=1", "seq=0", "seq=2",
        "ack=0", "ack=1", "ack=007", "base=1", "base=0", "tx=2", "tx=1", "frag=1/2", "frag=2/2", "frag=3/2",
        "frag=1/", "sack=2", "sack=2-4,6", "sack=5-3", "sack=,", "fin=1", "fin=2", "ts=5", "echo=5", "=", "==",
        "x=y", "", "seq", "ack=9007199254740993", "ack=99999999999999999999999", "PEER/1", "DATA",
    ]

    @Test("random well-formed-looking headers only ever throw or decode to a round-trippable datagram",
          arguments: [UInt64(10), 11, 12])
    func randomHeaders(seed: UInt64) throws {
        var random = SplitMix64(seed: seed)
        let kinds = DatagramKind.allCases.map(\.rawValue) + ["NOPE", ""]
        var decodedCount = 0
        for _ in 0..<2000 {
            var fields = Bool.random(using: &random) ? ["from=bob", "sid=0000000000010000", "ack=0", "base=1"] : []
            for _ in 0..<Int.random(in: 0...4, using: &random) {
                fields.append(Self.vocabulary.randomElement(using: &random)!)
            }
            let words = ["PEER/1", kinds.randomElement(using: &random)!] + fields.shuffled(using: &random)
            let body = Bool.random(using: &random) ? [] : random.bytes(Int.random(in: 0...8, using: &random))
            let bytes = datagramBytes(words.joined(separator: " "), body: body)
            if case .success(let datagram) = decodeResult(bytes) {
                decodedCount += 1
                #expect(try Wire.decode(Wire.encode(datagram)) == datagram, "\(words)")
            }
        }
        #expect(decodedCount > 0)
    }

    @Test("mutated and truncated valid datagrams only ever throw or decode consistently", arguments: [UInt64(20), 21])
    func mutatedDatagrams(seed: UInt64) throws {
        var random = SplitMix64(seed: seed)
        let originals = WireRoundTripTests.samples.map { Wire.encode($0.datagram) }
        for _ in 0..<3000 {
            var bytes = originals.randomElement(using: &random)!
            switch Int.random(in: 0..<3, using: &random) {
            case 0:
                bytes.removeLast(Int.random(in: 0...bytes.count, using: &random))
            case 1:
                for _ in 0..<Int.random(in: 1...4, using: &random) {
                    bytes[Int.random(in: 0..<bytes.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
                }
            default:
                let position = Int.random(in: 0...bytes.count, using: &random)
                bytes.insert(contentsOf: random.bytes(Int.random(in: 1...4, using: &random)), at: position)
            }
            if case .success(let datagram) = decodeResult(bytes) {
                #expect(Wire.isValidName(datagram.from))
                #expect(try Wire.decode(Wire.encode(datagram)) == datagram)
            }
        }
    }
}
