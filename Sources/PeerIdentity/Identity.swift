import PeerCrypto

/// Who a peer is: an X25519 key pair, kept in a file only its owner may read.
///
/// The file (`identity` in the state directory, or `--identity FILE`) is text, so a person can see what it is:
///
///     peer identity v1
///     # An X25519 key pair: who this peer is. Keep it secret (mode 0600); `peer id` prints its fingerprint.
///     private-key 3f1c…(64 hex digits)
///     public-key 8e0a…(64 hex digits)
///
/// The first line names the format and its version. Blank lines and lines starting with `#` are ignored;
/// `private-key` must appear once; `public-key` may be left out, and when present must be the private key's.
/// A file is created on first use and never overwritten; one that other users may read or write, that is not
/// a regular file (a symbolic link included), or that does not follow the format is refused with one sentence.
public struct Identity: Sendable, CustomStringConvertible, CustomReflectable {
    /// The first line of every identity file this version writes and the only one it reads.
    public static let fileHeader = "peer identity v1"
    /// Bytes in a private or public key.
    public static let keyBytes = 32
    /// Longer files are refused unread: no identity file written by peer comes near.
    static let maxFileBytes = 4096

    /// The 32-byte private key: the secret. (TODO: hold it in PeerCrypto's zero-on-drop `Secret` once part C
    /// lands; until then a plain array, which Swift may copy before it can be wiped.)
    public let privateKey: [UInt8]
    /// The 32-byte public key, X25519(privateKey, 9).
    public let publicKey: [UInt8]

    /// The identity of a private key; nil unless it is 32 bytes.
    public init?(privateKey: [UInt8]) {
        guard privateKey.count == Self.keyBytes else { return nil }
        self.privateKey = privateKey
        publicKey = X25519.publicKey(privateKey: privateKey)
    }

    /// A new identity from the system's cryptographically secure random source.
    public static func generate() -> Identity {
        // X25519.newPrivateKey returns 32 bytes by contract, so the initializer cannot fail.
        guard let identity = Identity(privateKey: X25519.newPrivateKey()) else {
            preconditionFailure("X25519.newPrivateKey returned a key that is not 32 bytes")
        }
        return identity
    }

    /// What people compare aloud.
    public var fingerprint: Fingerprint { Fingerprint(publicKey: publicKey) }

    /// The fingerprint only: printing an identity never shows its private key.
    public var description: String { "Identity(\(fingerprint))" }

    /// The fingerprint only, so `dump` and debuggers' summaries do not show the private key either.
    public var customMirror: Mirror { Mirror(self, children: ["fingerprint": fingerprint.description]) }

    /// The identity in `path`, or nil when there is no file there. Throws (never traps) when it is refused:
    /// `.exposed` with the `chmod 600` sentence, `.notRegularFile`, `.malformed`, `.system`.
    public static func load(from path: String) throws(StateFileError) -> Identity? {
        guard let text = try SecureFile.read(path, what: "identity file", refusedModes: SecureFile.notOwnerBits,
                                             maxBytes: maxFileBytes)
        else { return nil }
        return try parse(text, path: path)
    }

    /// The identity in `path`, created first (with a new key) when there is no file; `created` says which.
    /// Creation is atomic and never replaces a file: if another process creates one meanwhile, that one is
    /// loaded and returned instead. The directory holding `path` must exist.
    public static func loadOrCreate(at path: String) throws(StateFileError) -> (identity: Identity, created: Bool) {
        if let existing = try load(from: path) { return (existing, false) }
        let identity = generate()
        if try SecureFile.write(identity.fileText, to: path, what: "identity file", replace: false) {
            return (identity, true)
        }
        guard let theirs = try load(from: path) else {
            throw StateFileError(.system, "identity file \(path) appeared and vanished while it was being created")
        }
        return (theirs, false)
    }

    /// The file's text, as described on the type.
    public var fileText: String {
        """
        \(Self.fileHeader)
        # An X25519 key pair: who this peer is. Keep it secret (mode 0600); `peer id` prints its fingerprint.
        private-key \(Hex.encode(privateKey))
        public-key \(Hex.encode(publicKey))

        """
    }

    /// The identity `text` describes; `path` only names the file in the sentence of a refusal (which never
    /// repeats the file's contents: they hold the secret).
    public static func parse(_ text: String, path: String) throws(StateFileError) -> Identity {
        func refuse(_ problem: String) -> StateFileError {
            StateFileError(.malformed, "identity file \(path) \(problem); restore it, or move it away to create a "
                           + "new identity (with a new fingerprint)")
        }
        var sawHeader = false
        var privateKey: [UInt8]?
        var publicKey: [UInt8]?
        defer { if var key = privateKey { Hex.wipe(&key) } }
        for (offset, rawLine) in text.fileLines.enumerated() {
            let line = rawLine.trimmingWhitespace()
            if line.isEmpty || line.utf8.first == UInt8(ascii: "#") { continue }
            guard sawHeader else {
                guard line == fileHeader else {
                    if line.hasPrefix("peer identity ") {
                        throw refuse("is of another version (\(line.debugDescription), this peer reads "
                                     + "\"\(fileHeader)\")")
                    }
                    throw refuse("is not a peer identity (its first line must be \"\(fileHeader)\")")
                }
                sawHeader = true
                continue
            }
            let fields = line.fields
            let number = offset + 1
            guard fields.count == 2 else { throw refuse("has a damaged line \(number)") }
            switch fields[0] {
            case "private-key":
                guard privateKey == nil else { throw refuse("has two private-key lines") }
                guard fields[1].utf8.count == keyBytes * 2, let key = Hex.decode(fields[1]) else {
                    throw refuse("has a private-key that is not \(keyBytes * 2) hex digits (line \(number))")
                }
                privateKey = key
            case "public-key":
                guard publicKey == nil else { throw refuse("has two public-key lines") }
                guard fields[1].utf8.count == keyBytes * 2, let key = Hex.decode(fields[1]) else {
                    throw refuse("has a public-key that is not \(keyBytes * 2) hex digits (line \(number))")
                }
                publicKey = key
            default:
                throw refuse("has an unknown line \(number)")
            }
        }
        guard sawHeader else { throw refuse("has no \"\(fileHeader)\" line") }
        guard let privateKey, let identity = Identity(privateKey: privateKey) else {
            throw refuse("has no private-key line")
        }
        if let publicKey, publicKey != identity.publicKey {
            throw refuse("has a public-key that is not its private key's")
        }
        return identity
    }
}
