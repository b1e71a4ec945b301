import PeerWire

/// What each side tells the other inside the handshake, sealed: the protocol revision, its run and its name.
///
///     version(1) = 2 | run(8, big-endian) | name length(1) | name (UTF-8, as `--name` allows)
///
/// The handshake authenticates it with the sender's static key, and the keys it produces are used only for that
/// run: a datagram opened with them is that run's, so the run needs no other proof.
public struct HandshakePayload: Sendable, Equatable {
    /// The revision this build speaks.
    public static let version: UInt8 = 2
    /// The longest payload.
    public static let maxBytes = 1 + 8 + 1 + Wire.maxNameBytes

    /// The sender's run.
    public var run: SessionID
    /// The sender's display name.
    public var name: String

    /// A payload for `run` and `name`.
    public init(run: SessionID, name: String) {
        self.run = run
        self.name = name
    }

    /// Its bytes.
    public var bytes: [UInt8] {
        var bytes: [UInt8] = [Self.version]
        bytes.appendBigEndian(run.rawValue)
        bytes.append(UInt8(truncatingIfNeeded: name.utf8.count))
        bytes.append(contentsOf: name.utf8)
        return bytes
    }

    /// Reads a payload, or says what is wrong with it.
    public init(parsing bytes: [UInt8]) throws(ChannelError) {
        guard let version = bytes.first else { throw .malformedPayload("empty") }
        guard version == Self.version else { throw .unsupportedVersion(version) }
        guard bytes.count >= 10 else { throw .malformedPayload("too short") }
        let run = bytes[1..<9].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        let length = Int(bytes[9])
        guard bytes.count == 10 + length,
              let name = String(validating: bytes[10...], as: UTF8.self), Wire.isValidName(name)
        else { throw .malformedPayload("bad name") }
        self.run = SessionID(rawValue: run)
        self.name = name
    }
}
