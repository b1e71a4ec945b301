import PeerSeed
import Testing

/// The original's wire format: what we write, and how we read anything that arrives.
struct SeedDatagramTests {
    static func decode(_ text: String) throws(SeedDecodeError) -> SeedDatagram {
        try SeedDatagram.decode(Array(text.utf8))
    }

    @Test("first transmissions and replays are written exactly as the original writes them")
    func formats() {
        #expect(SeedDatagram.first(text: "hello", count: 0).encoded == Array("hello -0".utf8))
        #expect(SeedDatagram.first(text: "how are you", count: 2).encoded == Array("how are you -2".utf8))
        #expect(SeedDatagram.resend(text: "hello").encoded == Array("hello -resend".utf8))
    }

    @Test("well-formed datagrams, including text that itself contains ' -'")
    func wellFormed() throws {
        #expect(try Self.decode("hello -0") == .first(text: "hello", count: 0))
        #expect(try Self.decode("ends with -3 -2") == .first(text: "ends with -3", count: 2))
        #expect(try Self.decode("x -resend") == .resend(text: "x"))
        #expect(try Self.decode(" -resend") == .resend(text: ""))
        #expect(try Self.decode(" -7") == .first(text: "", count: 7))
        #expect(try Self.decode("well-known -0") == .first(text: "well-known", count: 0))
        #expect(try Self.decode("a -resend -4") == .first(text: "a -resend", count: 4))
        #expect(try Self.decode("x -007") == .first(text: "x", count: 7))
        #expect(try Self.decode("naïve 😀 -12") == .first(text: "naïve 😀", count: 12))
        #expect(try Self.decode("two\nlines -1") == .first(text: "two\nlines", count: 1))
    }

    @Test("malformed datagrams are refused with a reason", arguments: [
        ("-resend", SeedDecodeError.noSuffix),
        ("x -", .emptyCount),
        ("x -abc", .notACount("abc")),
        ("x -3a", .notACount("3a")),
        ("x - 3", .notACount(" 3")),
        ("x -+3", .notACount("+3")),
        ("", .empty),
        ("hello", .noSuffix),
        ("x-3", .noSuffix),
        ("-", .noSuffix),
        (" -", .emptyCount),
        ("x -99999999999999999999999", .countTooLarge),
        ("x -18446744073709551616", .countTooLarge),
    ])
    func malformed(text: String, error: SeedDecodeError) {
        #expect(throws: error) { try Self.decode(text) }
    }

    @Test("the largest count that fits is read")
    func largestCount() throws {
        #expect(try Self.decode("x -18446744073709551615") == .first(text: "x", count: .max))
    }

    @Test("invalid UTF-8 is refused")
    func invalidUTF8() {
        #expect(throws: SeedDecodeError.invalidUTF8) { try SeedDatagram.decode([0x68, 0xFF, 0x20, 0x2D, 0x30]) }
        #expect(throws: SeedDecodeError.invalidUTF8) { try SeedDatagram.decode([0xE2, 0x80]) }  // cut character
        #expect(throws: SeedDecodeError.invalidUTF8) { try SeedDatagram.decode([0xED, 0xA0, 0x80, 0x20, 0x2D, 0x30]) }
    }

    @Test("random bytes never trap, and whatever decodes encodes back to the same bytes")
    func randomBytes() {
        var random = SplitMix64(seed: 42)
        let alphabet: [UInt8] = Array(" -0123456789resndx".utf8) + [0xC3, 0xA9, 0xFF, 0x80, 0x0A]
        for _ in 0..<20_000 {
            let length = Int(random.next() % 24)
            let bytes = (0..<length).map { _ in alphabet[Int(random.next() % UInt64(alphabet.count))] }
            if let datagram = try? SeedDatagram.decode(bytes), case .resend = datagram {
                #expect(datagram.encoded == bytes)
            }
        }
    }
}
