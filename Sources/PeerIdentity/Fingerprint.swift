import PeerCrypto

/// What two people compare aloud to know a key is the one they expect: the first 128 bits of the BLAKE2s-256
/// digest of the 32-byte public key, written as 8 groups of 4 lower-case hex digits joined by dashes
/// (`ab3f-91c2-07de-5a10-c4b8-2f6e-9d03-71aa`), the way SSH and Signal show theirs in short groups.
///
/// 128 bits keep a forger from finding another key with the same fingerprint (a second preimage costs about
/// 2^128 hashes) while staying short enough to read out.
public struct Fingerprint: Hashable, Sendable, CustomStringConvertible {
    /// Bytes of digest kept.
    public static let byteCount = 16
    /// Hex digits per group.
    public static let groupDigits = 4

    /// The 16 bytes.
    public let bytes: [UInt8]

    /// The fingerprint of a public key.
    public init(publicKey: [UInt8]) {
        bytes = Array(BLAKE2s.hash(publicKey).prefix(Self.byteCount))
    }

    /// A fingerprint as a person typed it (`--expect-key`): 32 hex digits in either case, with any dashes,
    /// spaces, tabs or colons between them; nil for anything else (too short, too long, another character).
    public init?(parsing text: String) {
        let digits = text.filter { !($0 == "-" || $0 == ":" || $0.isWhitespace) }
        guard digits.utf8.count == Self.byteCount * 2, let bytes = Hex.decode(digits) else { return nil }
        self.bytes = bytes
    }

    /// Whether `publicKey` has this fingerprint.
    public func matches(publicKey: [UInt8]) -> Bool {
        Fingerprint(publicKey: publicKey) == self
    }

    /// `ab3f-91c2-…`: 8 groups of 4 lower-case hex digits.
    public var description: String {
        let hex = Hex.encode(bytes)
        var groups: [Substring] = []
        var start = hex.startIndex
        while start < hex.endIndex {
            let end = hex.index(start, offsetBy: Self.groupDigits, limitedBy: hex.endIndex) ?? hex.endIndex
            groups.append(hex[start..<end])
            start = end
        }
        return groups.joined(separator: "-")
    }
}
