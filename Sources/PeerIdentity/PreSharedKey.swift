import PeerCrypto

/// A secret both sides hold before they ever talk (`--psk FILE`): without it, no handshake can succeed.
///
/// `peer keygen --psk` writes it as a comment line and 64 hex digits:
///
///     # peer pre-shared key v1: give this file to the other side over a channel you trust; keep it mode 0600.
///     9c2e…(64 hex digits)
///
/// Reading ignores blank lines and lines starting with `#`, and needs exactly one line of 64 hex digits (either
/// case). Like the identity, the file is refused when other users may read or write it or it is not a regular
/// file.
public struct PreSharedKey: Sendable, CustomStringConvertible, CustomReflectable {
    /// Bytes in a key.
    public static let byteCount = 32
    /// The comment line `peer keygen --psk` writes first.
    public static let comment =
        "# peer pre-shared key v1: give this file to the other side over a channel you trust; keep it mode 0600."
    static let maxFileBytes = 4096

    /// The 32 secret bytes. (TODO: PeerCrypto's zero-on-drop `Secret` once part C lands.)
    public let bytes: [UInt8]

    /// A key of 32 bytes; nil for any other length.
    public init?(bytes: [UInt8]) {
        guard bytes.count == Self.byteCount else { return nil }
        self.bytes = bytes
    }

    /// A new key: 32 bytes from the system's cryptographically secure random source.
    public static func generate() -> PreSharedKey {
        guard let key = PreSharedKey(bytes: RandomBytes.make(count: byteCount)) else {
            preconditionFailure("RandomBytes.make returned the wrong number of bytes")
        }
        return key
    }

    /// Never the key itself.
    public var description: String { "PreSharedKey(32 bytes)" }

    /// Nothing of the key, so `dump` does not show it either.
    public var customMirror: Mirror { Mirror(self, children: [:]) }

    /// What `peer keygen --psk` prints: the comment line, then the key in hex, each ending in a newline.
    public var fileText: String {
        "\(Self.comment)\n\(Hex.encode(bytes))\n"
    }

    /// The key in `path`. Unlike an identity it is never created here, so a missing file is an error too.
    public static func load(from path: String) throws(StateFileError) -> PreSharedKey {
        guard let text = try SecureFile.read(path, what: "pre-shared key file", refusedModes: SecureFile.notOwnerBits,
                                             maxBytes: maxFileBytes)
        else {
            throw StateFileError(.missing, "pre-shared key file \(path) does not exist; make one with "
                                 + "peer keygen --psk > \(path)")
        }
        return try parse(text, path: path)
    }

    /// The key `text` holds; `path` only names the file in a refusal (which never quotes the contents).
    public static func parse(_ text: String, path: String) throws(StateFileError) -> PreSharedKey {
        var found: [UInt8]?
        for rawLine in text.fileLines {
            let line = rawLine.trimmingWhitespace()
            if line.isEmpty || line.utf8.first == UInt8(ascii: "#") { continue }
            guard found == nil, line.utf8.count == byteCount * 2, let bytes = Hex.decode(line) else {
                if var bytes = found { Hex.wipe(&bytes) }
                throw StateFileError(.malformed, "pre-shared key file \(path) must hold one line of "
                                     + "\(byteCount * 2) hex digits, as peer keygen --psk writes")
            }
            found = bytes
        }
        guard let found, let key = PreSharedKey(bytes: found) else {
            throw StateFileError(.malformed, "pre-shared key file \(path) holds no key; make one with "
                                 + "peer keygen --psk > \(path)")
        }
        return key
    }
}
