import PeerSeed
import Testing

/// What makes our text safe for the original: no `-`, and no datagram longer than its 1024-byte buffer.
struct SeedTextTests {
    @Test("every '-' becomes U+2010, counted")
    func hyphens() {
        #expect(SeedText.protectingHyphens("well-known -3 --x") == ("well\u{2010}known \u{2010}3 \u{2010}\u{2010}x", 4))
        #expect(SeedText.protectingHyphens("no hyphen") == ("no hyphen", 0))
    }

    @Test("a long line is cut on character boundaries into pieces that fit", arguments: [1, 2, 3, 4])
    func pieces(width: Int) throws {
        // Characters of 1 to 4 UTF-8 bytes, so cuts fall at every alignment.
        let character: Character = ["a", "é", "€", "😀"][width - 1]
        let text = String(repeating: String(character), count: 3000 / width + 7)
        let pieces = SeedText.pieces(of: text)
        #expect(pieces.allSatisfy { $0.count <= SeedDatagram.maxTextBytes && !$0.isEmpty })
        #expect(pieces.allSatisfy { String(validating: $0, as: UTF8.self) != nil })
        #expect(pieces.flatMap { $0 } == Array(text.utf8))
    }

    @Test("a grapheme cluster longer than a piece is cut between its scalars")
    func hugeCluster() {
        let text = "e" + String(repeating: "\u{301}", count: 700)  // one Character of 1401 bytes
        let pieces = SeedText.pieces(of: text)
        #expect(pieces.count == 2)
        #expect(pieces.allSatisfy { String(validating: $0, as: UTF8.self) != nil })
        #expect(pieces.flatMap { $0 } == Array(text.utf8))
    }

    @Test("exactly maxTextBytes is one piece; one byte more is two; empty is one empty piece")
    func boundaries() {
        #expect(SeedText.pieces(of: String(repeating: "x", count: SeedDatagram.maxTextBytes)).count == 1)
        #expect(SeedText.pieces(of: String(repeating: "x", count: SeedDatagram.maxTextBytes + 1)).count == 2)
        #expect(SeedText.pieces(of: "") == [[]])
    }

    @Test("a quoted prefix escapes quotes and backslashes, keeps the rest for the output to make harmless, marks a cut")
    func quotedPrefix() {
        let text = "a\"b\\c\u{1B}[2J\u{202E}é😀"
        #expect(SeedText.quotedPrefix(of: Array(text.utf8)) == "\"a\\\"b\\\\c\u{1B}[2J\u{202E}é😀\"")
        #expect(SeedText.quotedPrefix(of: Array("abcdef".utf8), limit: 3) == #""abc…""#)
        #expect(SeedText.quotedPrefix(of: [0xFF, 0x41]) == "\"\u{FFFD}A\"")  // not UTF-8: replaced, never a trap
    }
}
