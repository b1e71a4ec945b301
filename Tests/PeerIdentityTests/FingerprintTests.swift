import PeerCrypto
@testable import PeerIdentity
import Testing

/// What people compare aloud, and reading it back as they type it.
struct FingerprintTests {
    private let publicKey = (0..<32).map { UInt8($0 &* 7 &+ 3) }

    @Test("8 groups of 4 lower-case hex digits: the first 128 bits of BLAKE2s(public key)")
    func format() {
        let text = Fingerprint(publicKey: publicKey).description
        let groups = text.split(separator: "-", omittingEmptySubsequences: false)
        #expect(groups.count == 8)
        #expect(groups.allSatisfy { $0.count == 4 && $0.allSatisfy { "0123456789abcdef".contains($0) } })
        let expected = BLAKE2s.hash(publicKey).prefix(16).map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }
        #expect(text.replacingOccurrences(of: "-", with: "") == expected.joined())
    }

    @Test("keys differing in one bit have different fingerprints")
    func distinguishes() {
        var other = publicKey
        other[31] ^= 1
        #expect(Fingerprint(publicKey: publicKey) != Fingerprint(publicKey: other))
        #expect(Fingerprint(publicKey: publicKey).matches(publicKey: publicKey))
        #expect(!Fingerprint(publicKey: publicKey).matches(publicKey: other))
    }

    @Test("parsing is lenient about case, spaces, dashes and colons, and round-trips")
    func parsing() throws {
        let fingerprint = Fingerprint(publicKey: publicKey)
        let text = fingerprint.description
        let bare = text.replacingOccurrences(of: "-", with: "")
        let spaced = text.replacingOccurrences(of: "-", with: " ")
        let colons = text.replacingOccurrences(of: "-", with: ":")
        for variant in [text, text.uppercased(), bare, spaced, " \(text)\n", colons] {
            #expect(Fingerprint(parsing: variant) == fingerprint, "\(variant)")
        }
    }

    @Test("anything but 32 hex digits is not a fingerprint", arguments: [
        "", "ab3f", "ab3f-91c2-07de-5a10-c4b8-2f6e-9d03-71a", "ab3f-91c2-07de-5a10-c4b8-2f6e-9d03-71aa0",
        "gb3f-91c2-07de-5a10-c4b8-2f6e-9d03-71aa", "ab3f-91c2-07de-5a10-c4b8-2f6e-9d03-71a\u{E9}",
        "ab3f_91c2_07de_5a10_c4b8_2f6e_9d03_71aa", "+b3f-91c2-07de-5a10-c4b8-2f6e-9d03-71aa",
    ])
    func refusals(text: String) {
        #expect(Fingerprint(parsing: text) == nil)
    }
}
